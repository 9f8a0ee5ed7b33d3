"""The wire record: what a Streamer's message looks like outside the process.

One definition, shared by the web transport, the Redis log and the client that
rebuilds a Streamer in another process. Every stream travels as its raw chunks,
whatever its mode, so an answer of n bytes costs O(n) bytes on the wire rather
than one cumulative copy per chunk; each stream is announced with its mode once
per connection, so the receiving side rebuilds exactly the messages a local
consumer would see (cumulative values and JSON snapshots included).

A record is one JSON object:

=========  ==================================================================
kind       fields
=========  ==================================================================
stream     ``name``, ``delta``, ``structured``, ``serial``: a stream's mode,
           before its first message on this connection; ``serial`` tells a
           new stream of a name already used from the same one announced again
partial    ``seq``, ``name``, ``chunks``: consecutive partial messages of one
           stream at positions ``seq``, ``seq + 1``, ... (raw chunks)
complete   ``seq``, ``name``
restart    ``seq``, ``value``: consumers drop what they accumulated
end        the Streamer ended (every stream completed, or it was closed)
error      ``type``, ``message``: the Streamer failed with that exception
=========  ==================================================================

``seq`` is ``null`` for the messages of a catch-up but its last, as in
:attr:`kavalai.StreamContent.seq`. The format is versioned
(:data:`WIRE_VERSION`); :func:`record_schema` gives its JSON Schema, and
``docs/wire.md`` is its specification.
"""

from __future__ import annotations

from ._catch_up import CatchUp
from ._reader import RecordReader
from ._record import MAX_RECORD_TEXT, MAX_RECORDS, WIRE_VERSION, Record, RecordKind, record_schema
from ._replica import Replica, StructuredValue

__all__ = [
    "MAX_RECORDS",
    "MAX_RECORD_TEXT",
    "WIRE_VERSION",
    "CatchUp",
    "Record",
    "RecordKind",
    "RecordReader",
    "Replica",
    "StructuredValue",
    "record_schema",
]
