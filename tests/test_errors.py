from __future__ import annotations

from kavalai import StreamClosedError, StreamerTimeoutException


def test_stream_closed_error_is_a_runtime_error() -> None:
    assert issubclass(StreamClosedError, RuntimeError)


def test_timeout_exception_lists_active_names_and_the_fix() -> None:
    error = StreamerTimeoutException(["thought", "result"], 1.5)
    assert error.names == ["thought", "result"]
    assert error.timeout_seconds == 1.5
    assert "1.5s" in str(error)
    assert "'thought', 'result'" in str(error)
    assert "stream_complete()" in str(error)
