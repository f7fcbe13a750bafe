"""Reads of the people supported, always scoped to the organisation."""

from django.db.models import QuerySet

from carepost.accounts.models import Membership
from carepost.consent.models import Person


def people_for(*, membership: Membership) -> QuerySet[Person]:
    return (
        Person.objects.filter(organisation=membership.organisation)
        .select_related("service")
        .order_by("preferred_name", "legal_name")
    )
