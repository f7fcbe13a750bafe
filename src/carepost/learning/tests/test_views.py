"""Learning pages: access (404 across organisations, 403 for the wrong role) and flows."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from carepost.learning import services
from carepost.learning.models import ScenarioAttempt, SelfAssessment
from carepost.learning.tests.conftest import CLEAN, NAMING

pytestmark = pytest.mark.django_db


def client_for(membership: Any) -> Client:
    c = Client()
    c.force_login(membership.user)
    return c


def test_the_worker_sees_the_finding_highlighted_after_saving(
    alice: Any, module: Any, person: Any
) -> None:
    c = client_for(alice)
    response = c.post(f"/learning/modules/{module.pk}/", {"text": NAMING}, follow=True)
    html = response.content.decode()
    assert "Your reflection may identify someone" in html
    assert '<mark class="finding-mark">Nessie<sup>1</sup></mark>' in html
    assert "Complete the module" not in html


def test_another_organisations_module_is_not_found(olga: Any, module: Any) -> None:
    assert client_for(olga).get(f"/learning/modules/{module.pk}/").status_code == 404


def test_a_reflection_is_private_until_shared_with_the_line_manager(
    managed_alice: Any, lena: Any, bob: Any, module: Any
) -> None:
    r = services.reflection_save(membership=managed_alice, module=module, text=CLEAN)
    assert client_for(lena).get(f"/learning/reflections/{r.pk}/").status_code == 403
    services.reflection_share(membership=managed_alice, reflection=r)
    assert client_for(lena).get(f"/learning/reflections/{r.pk}/").status_code == 200
    assert client_for(bob).get(f"/learning/reflections/{r.pk}/").status_code == 403
    response = client_for(lena).post(f"/learning/reflections/{r.pk}/", {"text": "Thoughtful."})
    assert response.status_code == 302
    page = client_for(managed_alice).get(f"/learning/modules/{module.pk}/").content.decode()
    assert "Thoughtful." in page


def test_a_worker_cannot_open_admin_or_manager_pages(alice: Any) -> None:
    c = client_for(alice)
    assert c.get("/learning/modules/new/").status_code == 403
    assert c.get("/learning/issuer/").status_code == 403
    assert c.post("/learning/starter/").status_code == 403
    assert c.get("/learning/team/").status_code == 403


def test_self_assessment_is_saved_and_charted_with_a_table(alice: Any) -> None:
    from carepost.learning import content

    data = {}
    for t in content.instrument().traits:
        data[f"trait_{t.id}"] = "3"
    for s in content.instrument().skills:
        for aspect, _ in content.SKILL_ASPECTS:
            data[f"skill_{s.id}_{aspect}"] = "2"
    c = client_for(alice)
    assert c.post("/learning/self-assessment/", data).status_code == 302
    data["trait_motivation"] = "5"
    c.post("/learning/self-assessment/", data)
    assert SelfAssessment.objects.filter(membership=alice).count() == 2
    html = c.get("/learning/self-assessment/").content.decode()
    assert 'role="img"' in html and "Motivation: 3 then 5" in html
    assert "E-learner characteristics at each self-assessment" in html


def test_a_missing_score_shows_an_error_summary(alice: Any) -> None:
    response = client_for(alice).post("/learning/self-assessment/", {})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()


def test_a_scenario_is_played_through_and_recorded(alice: Any) -> None:
    c = client_for(alice)
    assert "friend request" in c.get("/learning/scenarios/friend-request/").content.decode()
    feedback = c.post("/learning/scenarios/friend-request/", {"choice": "decline", "path": ""})
    assert "Code 2.8" in feedback.content.decode()
    c.get("/learning/scenarios/friend-request/?path=decline")
    end = c.post("/learning/scenarios/friend-request/", {"choice": "log", "path": "decline"})
    assert "You made 2 good choices out of 2" in end.content.decode()
    assert ScenarioAttempt.objects.get().path == ["decline", "log"]


def test_a_tampered_scenario_path_is_not_found(alice: Any) -> None:
    assert client_for(alice).get("/learning/scenarios/friend-request/?path=log").status_code == 404
