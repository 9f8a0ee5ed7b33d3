"""The errors of kavalai.providers (to join kavalai.errors)."""

from __future__ import annotations

__all__ = ["ResponseFailedError"]


class ResponseFailedError(RuntimeError):
    """The provider reported, inside a stream it had begun, that the response failed.

    ``code`` is the provider's error code (``server_error``,
    ``rate_limit_exceeded``, ...) or ``None``, and ``message`` its text; the
    streams end with it after everything the response wrote before.
    """

    def __init__(self, stream: str, code: str | None, message: str) -> None:
        self.stream = stream
        self.code = code
        self.message = message
        super().__init__(
            f"the response streamed into {stream!r} failed with {code or 'an error'}: "
            f"{message}; what it wrote before is partial: retry the request"
        )
