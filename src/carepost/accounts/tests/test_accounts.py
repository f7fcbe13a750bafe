from typing import Any

import pytest
from django.test import Client

from carepost.accounts.services import membership_set_line_manager
from carepost.audit.models import AuditEvent
from carepost.common.errors import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


def test_line_manager_is_set_with_an_audit_event(alice: Any, rita: Any) -> None:
    membership_set_line_manager(membership=alice, line_manager=rita)
    alice.refresh_from_db()
    assert alice.line_manager == rita
    assert AuditEvent.objects.filter(
        action="membership.line_manager_set", subject_id=str(alice.pk)
    ).exists()


def test_line_manager_from_another_organisation_is_refused(alice: Any, olga: Any) -> None:
    with pytest.raises(PermissionDenied):
        membership_set_line_manager(membership=alice, line_manager=olga)


def test_nobody_manages_themselves(alice: Any) -> None:
    with pytest.raises(ValidationFailed):
        membership_set_line_manager(membership=alice, line_manager=alice)


def test_password_reset_sends_a_link_by_email(client: Client, alice: Any, mailoutbox: Any) -> None:
    response = client.post("/accounts/password-reset/", {"email": "alice@example.org"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1 and "/accounts/reset/" in mailoutbox[0].body


def test_login_and_logout(client: Client, alice: Any) -> None:
    response = client.post("/accounts/login/", {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302
