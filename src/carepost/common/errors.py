"""Domain errors raised by services; mapped to HTTP statuses in one place."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied


class DomainError(Exception):
    """Base class: carries a plain-English message a care worker can act on."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidTransition(DomainError):
    """The object is not in a state that allows this action."""

    status_code = 409


class ConflictError(DomainError):
    """Somebody else changed the object first (a lost race)."""

    status_code = 409


class PermissionDenied(DjangoPermissionDenied):
    """The user has no right to do this (403). Subclass of Django's, so views map it."""

    status_code = 403

    def __init__(self, message: str = "You do not have permission to do this.") -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(DomainError):
    """Input that cannot be accepted, with a message saying what to change."""

    status_code = 400
