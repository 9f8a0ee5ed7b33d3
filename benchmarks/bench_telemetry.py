"""The delta throughput row with telemetry off, on, and in a revision without the hook.

Run: ``python benchmarks/bench_telemetry.py REV [ROUNDS]``, from a git checkout;
``python benchmarks/bench_telemetry.py REV --instructions`` counts instructions
instead, under valgrind. Prints figures; asserts nothing.

One ``async for`` consumer of 100,000 delta messages over 4 streams (the row
of ``bench_streamer.py``), three ways: the working tree with telemetry off
(no watcher: what every Streamer pays for the hook), the working tree with
:func:`kavalai.telemetry.instrument` exporting to the OpenTelemetry SDK's
in-memory span exporter and metric reader, and ``REV`` (checked out into a
temporary worktree), a build without the hook. Each runs in a fresh process,
in an order that turns every round, so the noise of a shared machine hits
all alike; the medians are printed with each one's ratio to ``REV`` within
its round.

On a shared machine the times move with the neighbours' load; the instruction
counts do not. With ``--instructions`` each build runs once with 100,000
messages and once with 20,000 under ``valgrind --tool=cachegrind``, and the
difference, divided by the 80,000 messages between, is what one message costs
(delivered to one consumer), the start-up of the interpreter cancelled out.
"""

from __future__ import annotations

import os
import re
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

async def row(telemetry, messages):
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
    await bench.produce_delta(streamer, messages)
    assert await counting == messages
    elapsed = time.perf_counter() - start
    if telemetry:
        assert len(spans.get_finished_spans()) == 1 and reader.get_metrics_data() is not None
    return messages / elapsed

print(asyncio.run(row({telemetry}, {messages})), kavalai.__file__)
"""


#: The message counts of the two runs of ``--instructions``.
MANY, FEW = 100_000, 20_000


def run_row(tree: Path, telemetry: bool, messages: int = MANY, counting: bool = False) -> float:
    """Messages per second with the kavalai of ``tree``, in a fresh process.

    With ``counting``, the instructions the process ran, under cachegrind.
    """
    code = ROW.format(benchmarks=str(ROOT / "benchmarks"), telemetry=telemetry, messages=messages)
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    if counting:  # the same hashes, so the same dict layouts, in every run
        environment["PYTHONHASHSEED"] = "0"
    valgrind = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
    ]
    done = subprocess.run(
        [*(valgrind if counting else []), sys.executable, "-c", code],
        cwd=tree,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )
    figure, imported = done.stdout.split()
    if not Path(imported).is_relative_to(tree):  # the other tree's kavalai was measured
        raise RuntimeError(f"measured {imported}, not the kavalai of {tree}")
    if counting:
        found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
        if found is None:
            raise RuntimeError(f"no instruction count in valgrind's output: {done.stderr[-500:]}")
        return float(found.group(1).replace(",", ""))
    return float(figure)


def count_instructions(rows: list[tuple[str, Path, bool]], revision: str) -> None:
    per_message = {
        name: (run_row(tree, telemetry, MANY, True) - run_row(tree, telemetry, FEW, True))
        / (MANY - FEW)
        for name, tree, telemetry in rows
    }
    print("delta mode, 4 streams, 1 consumer: instructions per message (valgrind):")
    print(f"  {'build':<22} {'instructions':>12} {'/' + revision[:10]:>12}")
    for name, count in per_message.items():
        ratio = count / per_message[revision]
        print(f"  {LABELS[name]:<22} {count:>12,.0f} {ratio:>11.3f}x")


LABELS = {"off": "telemetry off", "on": "telemetry on (memory)"}


def main(revision: str, rounds: int, instructions: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        other = Path(folder) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(other), revision],
            cwd=ROOT,
            check=True,
        )
        rows = [(revision, other, False), ("off", ROOT, False), ("on", ROOT, True)]
        LABELS[revision] = f"{revision[:10]} (no hook)"
        runs: dict[str, list[float]] = {name: [] for name, _, _ in rows}
        try:
            if instructions:
                count_instructions(rows, revision)
                return
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
    for name, figures in runs.items():
        ratio = statistics.median(a / b for a, b in zip(figures, runs[revision], strict=True))
        print(f"  {LABELS[name]:<22} {statistics.median(figures):>10,.0f} {ratio:>11.2f}x")


if __name__ == "__main__":
    counting = "--instructions" in sys.argv
    arguments = [argument for argument in sys.argv[1:] if argument != "--instructions"]
    main(arguments[0], int(arguments[1]) if len(arguments) > 1 else 9, counting)
