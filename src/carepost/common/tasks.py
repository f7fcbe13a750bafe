"""Enqueue background work only once the surrounding transaction has committed."""

from typing import Any

from django.db import transaction


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """The database row is the source of truth; the task is only a wake-up call."""
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
