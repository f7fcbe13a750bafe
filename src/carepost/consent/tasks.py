"""Background tasks for the consent register: idempotent, take ids, re-check state."""

from django_tasks import task

from carepost.consent import takedown


@task()
def recheck_person_publications(person_id: int, reason: str) -> None:
    takedown.person_publications_recheck(person_id=person_id, reason=reason)
