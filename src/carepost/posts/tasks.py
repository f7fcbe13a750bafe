"""Background tasks for the desk: each takes an id, re-checks the row, and is idempotent."""

from django_tasks import task

from carepost.posts import photo_services


@task()
def analyse_photo(photo_id: int) -> None:
    """Find faces and read text in a photo; only a pending photo is claimed."""
    photo_services.photo_analyse(photo_id=photo_id)
