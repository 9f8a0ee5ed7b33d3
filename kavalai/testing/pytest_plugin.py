"""The pytest plugin: the ``kavalai_recording`` fixture and the ``--kavalai-record`` flag.

pytest loads it through kavalai's ``pytest11`` entry point; ``-p no:kavalai``
turns it off. It imports kavalai only when a test asks for the fixture.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..streamer import Streamer
    from ._record import Recorder
    from .sse import SseRecordingProxy, SseReplayServer

__all__ = [
    "RECORD_FLAG",
    "Recordings",
    "kavalai_recording",
    "pytest_addoption",
    "pytest_pyfunc_call",
]

#: The command-line flag that makes the fixture record anew from the live producers.
RECORD_FLAG = "--kavalai-record"

Live = Callable[["Streamer"], Coroutine[Any, Any, Any]]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--kavalai-record``."""
    parser.getgroup("kavalai").addoption(
        RECORD_FLAG,
        action="store_true",
        default=False,
        help="run the live producers given to kavalai_recording and save their recordings "
        "anew, instead of replaying the saved ones",
    )


class Recordings:
    """What the ``kavalai_recording`` fixture gives a test.

    Attributes:
        folder: Where the recordings live: ``recordings/`` beside the test's file.
        recording: Whether this run records anew (``--kavalai-record``).
    """

    def __init__(self, folder: Path, recording: bool) -> None:
        self.folder = folder
        self.recording = recording
        self._recorders: list[tuple[Path, Recorder]] = []
        self._unfinished: list[Path] = []
        self._proxies: list[tuple[Path, SseRecordingProxy]] = []

    def path(self, name: str) -> Path:
        """The file of the recording called ``name``."""
        if not re.fullmatch(r"[\w.-]+", name):
            raise ValueError(
                f"a recording's name becomes its file name; use letters, digits, '.', '-' "
                f"and '_', got {name!r}"
            )
        return self.folder / f"{name}.jsonl"

    def streamer(
        self, name: str, live: Live, *, speed: float | None = None, **options: Any
    ) -> Streamer:
        """A Streamer carrying the recording ``name``: replayed, or live and recorded.

        Replaying (the default), ``live`` is not called: the Streamer replays
        the saved recording (at once, or at ``speed``; see
        :meth:`kavalai.testing.Recording.play`). With ``--kavalai-record``, the
        Streamer runs ``live(streamer)`` as its producer, the real call, and
        the recording is saved at the end of the test, which must read the
        Streamer to its end. Call it on the test's event loop.

        Args:
            name: The recording's name, its file name without ``.jsonl``.
            live: The producer that makes the real call into the Streamer it is given.
            speed: The replay's speed; ``None`` for at once.
            **options: The Streamer's own (``max_buffer``, ...).

        Raises:
            RecordingNotFoundError: replaying, and the recording was never saved.
        """
        from ..streamer import Streamer
        from ._record import Recording, RecordingNotFoundError, record

        path = self.path(name)
        if not self.recording:
            if not path.exists():
                raise RecordingNotFoundError(
                    f"no recording {name!r} at {path}; run pytest {RECORD_FLAG} once "
                    "to record it from the live producer"
                )
            return Recording.load(path).play(speed, **options)
        streamer = Streamer(**options)
        self._recorders.append((path, record(streamer)))
        streamer.start(live(streamer))
        return streamer

    def sse(
        self, name: str, upstream: str, *, speed: float | None = None
    ) -> SseRecordingProxy | SseReplayServer:
        """An HTTP server on 127.0.0.1 standing for the provider at ``upstream``.

        Replaying, it answers from the saved ``recordings/{name}.sse.jsonl``
        (:class:`~kavalai.testing.sse.SseReplayServer`) and ``upstream`` is never
        reached; with ``--kavalai-record`` it forwards each request there and
        records the answers (:class:`~kavalai.testing.sse.SseRecordingProxy`),
        saved when the test returns. Use it as an async context manager, and
        point the SDK client at its ``url``.

        Raises:
            RecordingNotFoundError: replaying, and the recording was never saved.
        """
        from ._record import RecordingNotFoundError
        from .sse import SseRecording, SseRecordingProxy, SseReplayServer

        path = self.path(f"{name}.sse")
        if self.recording:
            proxy = SseRecordingProxy(upstream)
            self._proxies.append((path, proxy))
            return proxy
        if not path.exists():
            raise RecordingNotFoundError(
                f"no SSE recording {name!r} at {path}; run pytest {RECORD_FLAG} once to "
                f"record it from {upstream}"
            )
        return SseReplayServer(SseRecording.load(path), speed)

    def save(self) -> list[Path]:
        """Save the recordings whose Streamer ended; return those of the others, not saved.

        The plugin calls it as the test function returns, before the event loop
        cancels what is left: a Streamer cut short then is not recorded as failed.
        """
        unfinished = []
        for path, recorder in self._recorders:
            if recorder.done:
                recorder.recording.save(path)
            else:
                recorder.close()
                unfinished.append(path)
        self._recorders.clear()
        for path, proxy in self._proxies:
            proxy.recording.save(path)
        self._proxies.clear()
        self._unfinished += unfinished
        return self._unfinished


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    """Save the test's recordings as soon as the test function returns."""
    try:
        return (yield)
    finally:
        recordings = pyfuncitem.funcargs.get("kavalai_recording")
        if isinstance(recordings, Recordings):
            recordings.save()


@pytest.fixture
def kavalai_recording(request: pytest.FixtureRequest) -> Iterator[Recordings]:
    """Streamers that replay saved recordings, or record them anew with ``--kavalai-record``.

    ::

        async def test_answer(kavalai_recording):
            streamer = kavalai_recording.streamer("answer", live=ask_the_model)
            assert await collect_answer(streamer) == "Paris"
    """
    recordings = Recordings(
        request.path.parent / "recordings", bool(request.config.getoption(RECORD_FLAG))
    )
    yield recordings
    unfinished = recordings.save()
    if unfinished:
        pytest.fail(
            f"recording {', '.join(map(str, unfinished))} not saved: the test ended before "
            "its Streamer did; read the Streamer to its end in the test"
        )
