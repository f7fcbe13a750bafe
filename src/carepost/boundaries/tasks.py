"""Background tasks: each takes an id (or nothing), re-checks the rows, and is idempotent."""

from django_tasks import task

from carepost.boundaries import services


@task()
def send_notification(notification_id: int) -> None:
    services.notification_send(notification_id=notification_id)


@task()
def send_reminders() -> None:
    services.reminders_send()
