from __future__ import annotations

from carepost.screening import screen


def checks(text: str, register) -> set[str]:
    return {f.check for f in screen(text, register=register).findings}


def test_health_about_a_named_person_is_special_category(register):
    assert "special_category" in checks("Grace is back from hospital after her stroke.", register)


def test_religion_and_sexuality_of_a_named_person_are_special_category(register):
    assert "special_category" in checks("Peggy never misses Sunday Mass.", register)
    assert "special_category" in checks("Rose came out to the staff team this week.", register)


def test_general_health_news_is_not_special_category(register):
    assert "special_category" not in checks("Dementia Awareness Week starts on Monday.", register)
    assert "special_category" not in checks("Eid Mubarak to everyone celebrating!", register)


def test_a_singled_out_resident_is_identifiable(register):
    text = "Our eldest resident has been living with dementia for years."
    assert "special_category" in checks(text, register)


def test_incidents_police_and_complaints_are_confidential(register):
    assert "confidential" in checks("Police were called to the house last night.", register)
    assert "confidential" in checks("Complaint received from a family member.", register)
    assert "confidential" in checks("Jack has a children's hearing on Thursday.", register)
    assert "confidential" in checks("Gemma has been suspended pending an investigation.", register)


def test_general_news_about_police_or_complaints_is_not_confidential(register):
    assert "confidential" not in checks(
        "Police Scotland gave a talk on staying safe online.", register
    )
    assert "confidential" not in checks("Our complaints procedure is on our website.", register)
    assert "confidential" not in checks("Our safeguarding refresher is complete.", register)


def test_a_home_street_and_a_live_check_in_are_location(register):
    assert "location" in checks("Rose has moved into her flat on Calside Court.", register)
    assert "location" in checks("We're at Pollok Park right now with the group!", register)
    assert "location" in checks("Hope started at Lochside Academy today.", register)


def test_a_past_day_trip_is_not_location(register):
    assert "location" not in checks("Day trip to Oban last week, lovely fish and chips.", register)


def test_the_street_of_a_secret_service_is_blocked(register):
    report = screen("Car wash on Birch Avenue this afternoon!", register=register)
    assert report.verdict == "block"
    assert any(f.code == "location.secret_service" for f in report.findings)


def test_opinion_in_the_organisations_voice_is_a_warning_only():
    report = screen("Personally, I think the council got this wrong.")
    assert {f.check for f in report.findings} == {"voice"}
    assert report.verdict == "pass"


def test_an_unknown_full_name_is_for_review():
    report = screen("Welcome to our new manager, Dr Priya Nair.")
    assert any(f.code == "unknown_name.full_name" and f.action == "review" for f in report.findings)
