"""The Streamer's throughput rows for two revisions of kavalai, side by side in one run.

Run: ``python benchmarks/bench_revisions.py REV [ROUNDS]``, from a git checkout.
Prints figures; asserts nothing.

The rows of ``bench_streamer.py`` that a change to the core moves first: the
bare ``asyncio.Queue`` floor, one ``async for`` consumer of 100,000 delta
messages over 4 streams, and the same messages to 100 consumers. Each round
runs every row for the working tree and for ``REV`` (checked out into a
temporary worktree), each in a fresh process and in alternation, so the noise
of a shared machine hits both alike; the medians are printed with the ratio
that the targets speak of (one consumer against the floor, 100 consumers
against one), each the median of the ratios within a round.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROWS = """
import asyncio, sys
sys.path.insert(0, {benchmarks!r})
import bench_streamer as bench
import kavalai
print(asyncio.run(bench.queue_floor()), asyncio.run(bench.streamer_delta(1)),
      asyncio.run(bench.streamer_delta(bench.FAN_OUT)), kavalai.__file__)
"""


def run_rows(tree: Path) -> tuple[float, float, float]:
    """Floor, one consumer and fan-out figures with the kavalai of ``tree``, in a fresh process."""
    code = ROWS.format(benchmarks=str(ROOT / "benchmarks"))
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    # Run in the tree: ``python -c`` puts the working directory first on the path.
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tree,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    *figures, imported = output
    if not Path(imported).is_relative_to(tree):  # the other tree's kavalai was measured
        raise RuntimeError(f"measured {imported}, not the kavalai of {tree}")
    floor, single, fan = (float(figure) for figure in figures)
    return floor, single, fan


def main(revision: str, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        other = Path(folder) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(other), revision],
            cwd=ROOT,
            check=True,
        )
        try:
            runs: dict[str, list[tuple[float, float, float]]] = {revision: [], "working": []}
            for round_ in range(rounds):
                # Each goes first in every other round: the first of a pair runs
                # measurably slower on a machine that has just been idle.
                order = [(revision, other), ("working", ROOT)]
                for name, tree in order if round_ % 2 == 0 else order[::-1]:
                    runs[name].append(run_rows(tree))
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, check=True
            )
    print(f"delta mode, 100,000 messages over 4 streams, median of {rounds} alternating rounds:")
    print(
        f"  {'tree':<12} {'floor msg/s':>12} {'1 consumer':>12} {'/floor':>7}"
        f" {'100 consumers':>14} {'/1':>6}"
    )
    for name, figures in runs.items():
        floor, single, fan = (statistics.median(run[i] for run in figures) for i in range(3))
        # Ratios within a round, where the floor saw the same load as the rows.
        to_floor = statistics.median(run[1] / run[0] for run in figures)
        to_single = statistics.median(run[2] / run[1] for run in figures)
        print(
            f"  {name[:12]:<12} {floor:>12,.0f} {single:>12,.0f} {to_floor:>6.0%}"
            f" {fan:>14,.0f} {to_single:>5.1f}x"
        )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 7)
