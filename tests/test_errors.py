"""One error vocabulary: every kavalai error derives from KavalaiError and says the fix."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import kavalai
from kavalai import (
    BadResumeError,
    DataLostError,
    EventStreamError,
    IncompleteStreamError,
    KavalaiError,
    PublishError,
    RemoteStreamError,
    ResponseFailedError,
    StreamClosedError,
    Streamer,
    StreamerTimeoutException,
    StreamRestartedError,
    StreamUnavailableError,
    StreamValidationError,
    errors,
)

# Each error and the built-in base it had before KavalaiError, kept for callers that catch it.
BUILT_IN_BASES = [
    (BadResumeError, ValueError),
    (DataLostError, RuntimeError),
    (PublishError, RuntimeError),
    (EventStreamError, ValueError),
    (IncompleteStreamError, RuntimeError),
    (RemoteStreamError, RuntimeError),
    (ResponseFailedError, RuntimeError),
    (StreamClosedError, RuntimeError),
    (StreamRestartedError, RuntimeError),
    (StreamUnavailableError, LookupError),
    (StreamValidationError, ValueError),
    (StreamerTimeoutException, Exception),
    (errors.PathError, Exception),
    (errors.NoSchedulerError, RuntimeError),
    (errors.RecordingFormatError, ValueError),
    (errors.RecordingNotFoundError, FileNotFoundError),
    (errors.SseRecordingError, RuntimeError),
]


def _kavalai_exception_classes() -> list[type[BaseException]]:
    """Every exception class defined anywhere in the package, every room included."""
    modules = [kavalai]
    for info in pkgutil.walk_packages(kavalai.__path__, "kavalai."):
        if not info.name.endswith("__main__"):
            modules.append(importlib.import_module(info.name))
    return [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, BaseException)
        and value.__module__.startswith("kavalai")
    ]


def test_every_kavalai_error_derives_from_kavalai_error() -> None:
    found = set(_kavalai_exception_classes())

    assert {error for error, _ in BUILT_IN_BASES} <= found
    assert [error for error in found if not issubclass(error, KavalaiError)] == []


def test_every_error_lives_in_the_errors_module() -> None:
    assert {error.__module__ for error in _kavalai_exception_classes()} == {"kavalai.errors"}


@pytest.mark.parametrize(("error", "base"), BUILT_IN_BASES)
def test_an_error_keeps_its_built_in_base(error: type[Exception], base: type[Exception]) -> None:
    assert issubclass(error, base)
    assert issubclass(error, KavalaiError)


def test_every_public_error_is_exported_from_kavalai() -> None:
    public = [name for name in errors.__all__ if name != "KavalaiError"]

    assert "KavalaiError" in kavalai.__all__
    assert set(public) <= set(kavalai.__all__)
    assert all(getattr(kavalai, name) is getattr(errors, name) for name in errors.__all__)


def test_the_base_has_a_one_sentence_docstring() -> None:
    doc = KavalaiError.__doc__ or ""

    assert doc.count(".") == 1
    assert doc.endswith(".")
    assert "\n" not in doc


async def test_except_kavalai_error_catches_a_push_after_complete() -> None:
    streamer = Streamer()
    answer = streamer.get_value_streamer("answer")
    await answer.stream_complete()

    with pytest.raises(KavalaiError, match="'answer'") as caught:
        await answer.stream_partial("late")

    assert isinstance(caught.value, StreamClosedError)


def test_timeout_exception_lists_active_names_and_the_fix() -> None:
    error = StreamerTimeoutException(["thought", "result"], 1.5)
    assert error.names == ["thought", "result"]
    assert error.timeout_seconds == 1.5
    assert "1.5s" in str(error)
    assert "'thought', 'result'" in str(error)
    assert "stream_complete()" in str(error)


def test_incomplete_stream_error_names_the_streams_and_the_fix() -> None:
    error = IncompleteStreamError(["answer"], cancelled=True)

    assert "was cancelled" in str(error)
    assert "'answer'" in str(error)
    assert "call stream_complete() on each" in str(error)


def test_restarted_error_names_the_stream_its_reason_and_the_fix() -> None:
    error = StreamRestartedError("answer", "rate limited")

    assert "stream 'answer' restarted (rate limited)" in str(error)
    assert "subscribe again" in str(error)


@pytest.mark.parametrize(
    ("truncated", "fix"),
    [(False, "fix the prompt or the model"), (True, "raise the model's output token limit")],
)
def test_validation_error_names_the_stream_the_model_and_the_fix(truncated: bool, fix: str) -> None:
    error = StreamValidationError("result", "Person", '{"na', {"na": None}, [], truncated=truncated)

    assert "stream 'result'" in str(error)
    assert "Person" in str(error)
    assert fix in str(error)


def test_response_failed_error_names_the_stream_the_code_and_the_fix() -> None:
    error = ResponseFailedError("answer", "server_error", "overloaded")

    assert "'answer' failed with server_error: overloaded" in str(error)
    assert "retry the request" in str(error)


def test_remote_stream_error_names_the_remote_type_and_message() -> None:
    error = RemoteStreamError("ConnectionError", "model went away")

    assert str(error) == "the remote Streamer failed with ConnectionError: model went away"
