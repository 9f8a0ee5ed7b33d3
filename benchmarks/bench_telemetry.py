"""The delta throughput row with telemetry off, on, and in a revision without the hook.

Run: ``python benchmarks/bench_telemetry.py REV [ROUNDS]``, from a git checkout.
Prints figures; asserts nothing.

One ``async for`` consumer of 100,000 delta messages over 4 streams (the row
of ``bench_streamer.py``), three ways: the working tree with telemetry off
(no watcher: what every Streamer pays for the hook), the working tree with
:func:`kavalai.telemetry.instrument` exporting to the OpenTelemetry SDK's
in-memory span exporter and metric reader, and ``REV`` (checked out into a
temporary worktree), a build without the hook. Each runs in a fresh process,
in an order that turns every round, so the noise of a shared machine hits
all alike; the medians are printed with each one's ratio to ``REV`` within
its round.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROW = """
import asyncio, sys, time
sys.path.insert(0, {benchmarks!r})
import bench_streamer as bench
import kavalai

async def row(telemetry):
    streamer = kavalai.Streamer(stream_delta=True)
    if telemetry:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from kavalai.telemetry import instrument
        spans, reader = InMemorySpanExporter(), InMemoryMetricReader()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
        meter_provider = MeterProvider(metric_readers=[reader])
        instrument(streamer, tracer_provider=tracer_provider, meter_provider=meter_provider)
    start = time.perf_counter()
    counting = asyncio.ensure_future(bench.count(streamer))
    await asyncio.sleep(0)
    await bench.produce_delta(streamer, bench.MESSAGES)
    assert await counting == bench.MESSAGES
    elapsed = time.perf_counter() - start
    if telemetry:
        assert len(spans.get_finished_spans()) == 1 and reader.get_metrics_data() is not None
    return bench.MESSAGES / elapsed

print(asyncio.run(row({telemetry})), kavalai.__file__)
"""


def run_row(tree: Path, telemetry: bool) -> float:
    """Messages per second with the kavalai of ``tree``, in a fresh process."""
    code = ROW.format(benchmarks=str(ROOT / "benchmarks"), telemetry=telemetry)
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    figure, imported = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tree,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    if not Path(imported).is_relative_to(tree):  # the other tree's kavalai was measured
        raise RuntimeError(f"measured {imported}, not the kavalai of {tree}")
    return float(figure)


def main(revision: str, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        other = Path(folder) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(other), revision],
            cwd=ROOT,
            check=True,
        )
        rows = [(revision, other, False), ("off", ROOT, False), ("on", ROOT, True)]
        runs: dict[str, list[float]] = {name: [] for name, _, _ in rows}
        try:
            for round_ in range(rounds):
                # The first of a round runs slower on a machine just idle: it turns.
                turn = round_ % len(rows)
                for name, tree, telemetry in rows[turn:] + rows[:turn]:
                    runs[name].append(run_row(tree, telemetry))
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, check=True
            )
    print(f"delta mode, 100,000 messages over 4 streams, 1 consumer, median of {rounds} rounds:")
    print(f"  {'build':<22} {'msg/s':>10} {'/' + revision[:10]:>12}")
    labels = {
        revision: f"{revision[:10]} (no hook)",
        "off": "telemetry off",
        "on": "telemetry on (memory)",
    }
    for name, figures in runs.items():
        ratio = statistics.median(a / b for a, b in zip(figures, runs[revision], strict=True))
        print(f"  {labels[name]:<22} {statistics.median(figures):>10,.0f} {ratio:>11.2f}x")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 9)
