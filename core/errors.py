"""Domain errors raised by services; each carries a message fit to show a user (in Chinese)."""

from django.core.exceptions import PermissionDenied


class DomainError(Exception):
    """A refused action. ``message`` is shown to the user as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidTransition(DomainError):
    """The object is not in a state that allows the action (often: someone else acted first)."""


class StaleObject(DomainError):
    """The form was built from an older version of the object."""


class NotAllowed(PermissionDenied):
    """The actor may not do this. Views answer 403."""

    def __init__(self, message: str = "您没有执行此操作的权限。"):
        super().__init__(message)
        self.message = message


def require(allowed: bool, message: str = "您没有执行此操作的权限。") -> None:
    """Raise NotAllowed(message) unless ``allowed``: how services enforce a permission predicate."""
    if not allowed:
        raise NotAllowed(message)
