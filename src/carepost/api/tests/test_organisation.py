"""Reference data for writing drafts: channels, services, people."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_member_sees_their_organisations_channels_and_services_only(
    worker, outsider, service, client_for
):
    client = client_for(worker)
    channels = client.get("/channels").json()
    assert [(c["kind"], c["name"]) for c in channels] == [("website", "Website news")]
    assert [s["id"] for s in client.get("/services").json()] == [service.pk]


def test_desk_member_sees_the_people_supported_to_tag(worker, person, client_for):
    people = client_for(worker).get("/people").json()
    assert [(p["id"], p["display_name"], p["service_name"]) for p in people] == [
        (person.pk, "Morag", "Rowan House")
    ]


def test_member_without_a_desk_role_cannot_list_people(make_member, person, client_for):
    officer = make_member("connie", "consent_officer")
    assert client_for(officer).get("/people").status_code == 403
