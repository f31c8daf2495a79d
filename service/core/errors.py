"""Errors the compute core raises; the HTTP layer maps each to a status code."""


class CoreError(Exception):
    """Base class: ``field`` names the offending input (dotted path), ``message`` the rule."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class UnknownActivation(CoreError):
    """No catalog entry has this name or alias."""


class UnknownResource(UnknownActivation):
    """No such concept (or other named resource): 404 like an unknown activation."""


class InvalidParams(CoreError):
    """Unknown parameter, wrong type, or a value outside its bounds."""


class InvalidInput(CoreError):
    """Input arrays of the wrong shape or outside the representable range."""


class LimitExceeded(CoreError):
    """A request asks for more work than a documented cap allows."""


class DeviceUnavailable(CoreError):
    """The requested accelerator is not present in this process."""
