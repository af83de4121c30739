"""One error hierarchy for the whole system.

    SummitError(message, code, status)      base; `code` is stable and goes to clients
     +-- ValidationError                    400  bad shape or value of input
     +-- NotFound                           404  an id that does not exist
     +-- Conflict                           409  duplicates, state clashes
     +-- Unauthorized                       401  no or bad credentials
     +-- Forbidden                          403  credentials fine, role not allowed
     +-- RecognitionError                   422/503  a face or speech engine failed on this input

Domain packages subclass these (CheckInError, HotelError, TransportError) so that the web layer
needs only one handler: `{"error": code, "message": text}` with the error's HTTP status.
Third-party exceptions are translated at the boundary with `raise ... from exc`.
"""

from __future__ import annotations

from typing import Any


class SummitError(Exception):
    """Base of every error the system reports to a caller."""

    status = 400

    def __init__(self, message: str, code: str, status: int | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        if status is not None:
            self.status = status
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        body.update(self.details)
        return body

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as its fields, not its constructor's arguments (subclasses such as Busy take
        # other ones): an error raised in a recognition worker process reaches the request whole.
        return (_restore, (type(self), self.message, self.code, self.status, self.details))


def _restore(
    cls: type[SummitError], message: str, code: str, status: int, details: dict[str, Any]
) -> SummitError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.message, error.code, error.status, error.details = message, code, status, details
    return error


class ValidationError(SummitError):
    status = 400


class NotFound(SummitError):
    status = 404


class Conflict(SummitError):
    status = 409


class Unauthorized(SummitError):
    status = 401


class Forbidden(SummitError):
    status = 403


class RecognitionError(SummitError):
    status = 422
