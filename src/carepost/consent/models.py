"""People supported. The consent records themselves arrive with the consent register."""

from django.db import models

from carepost.common.models import TimeStampedModel


class Person(TimeStampedModel):
    """A person supported by one of the organisation's services."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="people"
    )
    service = models.ForeignKey("accounts.Service", on_delete=models.PROTECT, related_name="people")
    legal_name = models.CharField(max_length=200)
    preferred_name = models.CharField(max_length=100, blank=True)
    aliases = models.JSONField(default=list, blank=True, help_text="Nicknames staff use.")
    date_of_birth = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.legal_name.split()[0]
