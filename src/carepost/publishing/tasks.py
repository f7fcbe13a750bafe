"""Background tasks: each takes an id, re-checks the row, and is idempotent."""

from django_tasks import task

from carepost.publishing import services


@task()
def publish_publication(publication_id: int) -> None:
    services.publication_send(publication_id=publication_id)


@task()
def take_down_publication(publication_id: int) -> None:
    services.publication_take_down_execute(publication_id=publication_id)


@task()
def reconcile_publication(publication_id: int) -> None:
    services.publication_reconcile(publication_id=publication_id)


@task()
def sweep_outbox() -> None:
    services.outbox_sweep()
