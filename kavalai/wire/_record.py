"""The wire record: one definition of what a message looks like outside the process."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, cast

from .._json import compact_json

__all__ = [
    "MAX_RECORDS",
    "MAX_RECORD_TEXT",
    "WIRE_VERSION",
    "Record",
    "RecordKind",
    "record_schema",
]

#: The version of the wire record format that this kavalai writes and reads
#: (see ``docs/wire.md``); a change a reader of an earlier version could
#: misread gets a new one.
WIRE_VERSION = 1

RecordKind = Literal["stream", "partial", "complete", "restart", "end", "error"]
_KINDS = frozenset(("stream", "partial", "complete", "restart", "end", "error"))

#: How much chunk text one partial record gathers at most.
MAX_RECORD_TEXT = 32 * 1024
#: How many records one read returns at most.
MAX_RECORDS = 64


@dataclass(frozen=True, slots=True)
class Record:
    """One wire record; see the module docstring for the fields of each kind."""

    kind: RecordKind
    seq: int | None = None
    name: str | None = None
    chunks: tuple[str, ...] = ()
    value: str | None = None  # a restart's reason, an error's message
    delta: bool = False
    structured: bool = False
    error_type: str | None = None
    serial: int | None = None  # which stream of its Streamer a "stream" record announces

    @property
    def last_seq(self) -> int | None:
        """The position of the last message the record carries, if it has one."""
        if self.seq is not None and self.chunks:
            return self.seq + len(self.chunks) - 1
        return self.seq

    def to_json(self) -> str:
        """The compact JSON text of the record."""
        kind = self.kind
        fields: dict[str, object] = {"kind": kind}
        if kind == "stream":
            fields.update(name=self.name, delta=self.delta, structured=self.structured)
            if self.serial is not None:
                fields["serial"] = self.serial
        elif kind == "partial":
            fields.update(seq=self.seq, name=self.name, chunks=self.chunks)
        elif kind == "complete":
            fields.update(seq=self.seq, name=self.name)
        elif kind == "restart":
            fields.update(seq=self.seq, value=self.value)
        elif kind == "error":
            fields.update(type=self.error_type, message=self.value)
        return compact_json(fields)

    @classmethod
    def failure(cls, error: BaseException) -> Record:
        """The ``error`` record of a Streamer that failed with ``error``."""
        return cls("error", value=str(error), error_type=type(error).__name__)

    @classmethod
    def from_json(cls, text: str | bytes) -> Record:
        """Parse a record.

        Raises:
            ValueError: the text is not a record of a known kind with its fields.
        """
        try:
            fields = json.loads(text)
            kind = fields["kind"]
            if kind not in _KINDS:
                raise ValueError(f"unknown kind {kind!r}")
            seq = fields.get("seq")
            if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int)):
                raise ValueError(f"seq must be an int or null, got {seq!r}")
            chunks = tuple(fields.get("chunks", ()))
            if not all(isinstance(chunk, str) for chunk in chunks):
                raise ValueError("chunks must be strings")
            if kind in ("stream", "partial", "complete") and not isinstance(fields["name"], str):
                raise ValueError("name must be a string")
            return cls(
                kind=cast(RecordKind, kind),
                seq=seq,
                name=fields.get("name"),
                chunks=chunks,
                value=fields.get("message") if kind == "error" else fields.get("value"),
                delta=bool(fields.get("delta", False)),
                structured=bool(fields.get("structured", False)),
                error_type=fields.get("type"),
                serial=_optional_int(fields.get("serial")),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise ValueError(f"not a kavalai wire record: {text[:80]!r} ({error})") from error


def record_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a wire record of :data:`WIRE_VERSION`.

    Every record kavalai writes is valid against it; a reader in another
    language can check what it receives with it.
    """
    text = resources.files(__package__).joinpath("record.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _optional_int(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"serial must be an int, got {value!r}")
    return value
