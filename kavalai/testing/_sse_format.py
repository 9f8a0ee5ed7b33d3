"""The SSE recording's format: exchanges, each a request and its answer's timed pieces."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._record import RecordingFormatError

__all__ = ["SseExchange", "SseRecording", "json_or_text"]

_HEADER = {"kavalai_sse_recording": 1}


@dataclass
class SseExchange:
    """One request and the answer to it, its pieces with their times from the request."""

    method: str
    path: str
    body: Any = None  #: the request's JSON body (its text if it was not JSON)
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    chunks: list[tuple[float, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The whole answer."""
        return "".join(chunk for _, chunk in self.chunks)


@dataclass
class SseRecording:
    """The exchanges of one or more provider calls, in order; see the module docstring."""

    exchanges: list[SseExchange] = field(default_factory=list)

    def dumps(self) -> str:
        """The recording's text, one JSON line per exchange and per piece of an answer."""
        lines = [json.dumps(_HEADER)]
        for exchange in self.exchanges:
            request = {"method": exchange.method, "path": exchange.path, "body": exchange.body}
            opening = {"request": request, "status": exchange.status, "headers": exchange.headers}
            lines.append(json.dumps(opening, ensure_ascii=False))
            lines += (
                json.dumps({"t": round(t, 6), "chunk": chunk}, ensure_ascii=False)
                for t, chunk in exchange.chunks
            )
        return "\n".join(lines) + "\n"

    @classmethod
    def loads(cls, text: str) -> SseRecording:
        """Parse a recording's text.

        Raises:
            RecordingFormatError: the header is missing, or a line is neither an
                exchange's opening nor a timed piece after one; the message names the line.
        """
        lines = text.splitlines()
        if not lines or _json_or_none(lines[0]) != _HEADER:
            raise RecordingFormatError(
                f"not a kavalai SSE recording: its first line must be {json.dumps(_HEADER)}; "
                "record one with kavalai.testing.sse.SseRecordingProxy"
            )
        recording = cls()
        for number, line in enumerate(lines[1:], start=2):
            fields = _json_or_none(line)
            try:
                if isinstance(fields, dict) and "request" in fields:
                    request = fields["request"]
                    headers = [(str(name), str(value)) for name, value in fields["headers"]]
                    recording.exchanges.append(
                        SseExchange(
                            str(request["method"]),
                            str(request["path"]),
                            request.get("body"),
                            int(fields["status"]),
                            headers,
                        )
                    )
                elif isinstance(fields, dict) and recording.exchanges:
                    chunk = fields["chunk"]
                    if not isinstance(chunk, str):
                        raise TypeError(f"chunk must be a string, got {chunk!r}")
                    recording.exchanges[-1].chunks.append((float(fields["t"]), chunk))
                elif line.strip():
                    raise ValueError("expected an exchange's opening line (with 'request')")
            except KeyError as error:
                raise RecordingFormatError(
                    f"SSE recording line {number}: missing field {error}"
                ) from error
            except (TypeError, ValueError) as error:
                raise RecordingFormatError(f"SSE recording line {number}: {error}") from error
        return recording

    def save(self, path: str | Path) -> None:
        """Write the recording's text to ``path`` (UTF-8), making its folder if need be."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(self.dumps(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> SseRecording:
        """Read a recording saved with :meth:`save`."""
        return cls.loads(Path(path).read_text(encoding="utf-8"))


def json_or_text(body: bytes) -> Any:
    """A request's body as JSON, or as text if it is not JSON; ``None`` if empty."""
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
