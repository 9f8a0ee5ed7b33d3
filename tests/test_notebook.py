"""The streaming notebook runs in a real Jupyter kernel and prints what its text promises."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "streaming_with_streamer.ipynb"
#: The expected outputs of the seed text the notebook grew from, kept beside the tests.
SEED = Path(__file__).parent / "notebook_seed_outputs.md"

KERNEL_NAME = "python3"
PROBE_TAG = "test-probe"

CUMULATIVE_OUTPUT = (
    '{"type":"partial","name":"result","value":"Hello,"}\n'
    '{"type":"partial","name":"result","value":"Hello, world!"}\n'
    '{"type":"complete","name":"result","value":"Hello, world!"}\n'
)
DELTA_OUTPUT = (
    '{"type":"partial","name":"result","value":"Hello,"}\n'
    '{"type":"partial","name":"result","value":" world!"}\n'
    '{"type":"complete","name":"result","value":null}\n'
)
STRUCTURED_OUTPUT = (
    'partial JSON: {"name": "Ti"}\n'
    'partial JSON: {"name": "Timo"}\n'
    'partial JSON: {"name": "Timo", "birth_year": 1986}\n'
    'partial JSON: {"name": "Timo", "birth_year": 1986}\n'
)
VALIDATED_OUTPUT = "name='Timo' birth_year=1986\n"
PIPE_STREAMER_OUTPUT = "value: Hello,\nvalue: Hello, world!\ndone\n"
PIPE_OPERATORS_OUTPUT = (
    "accumulate: He\n"
    "accumulate: Hell\n"
    "accumulate: Hello\n"
    "to_deltas: He\n"
    "to_deltas: ll\n"
    "to_deltas: o\n"
)


def _read_notebook() -> Any:
    return nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]


def _probe_cell() -> Any:
    """A code cell that prints the kernel's interpreter."""
    cell = nbformat.v4.new_code_cell("import sys\nprint(sys.executable)")  # type: ignore[no-untyped-call]
    cell.metadata["tags"] = [PROBE_TAG]
    return cell


def _write_kernelspec(kernels_dir: Path) -> None:
    """A ``python3`` kernelspec that runs ipykernel in the interpreter running the tests."""
    spec_dir = kernels_dir / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (tests)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The notebook, executed once, with a probe cell appended that reports the kernel."""
    jupyter_dir = tmp_path_factory.mktemp("jupyter")
    _write_kernelspec(jupyter_dir / "kernels")
    nb = _read_notebook()
    nb.cells.append(_probe_cell())
    with pytest.MonkeyPatch.context() as patch:
        # Listed first on JUPYTER_PATH, this spec wins over any user or system one.
        patch.setenv("JUPYTER_PATH", str(jupyter_dir))
        client = NotebookClient(
            nb,
            timeout=60,
            kernel_name=KERNEL_NAME,
            resources={"metadata": {"path": str(NOTEBOOKS)}},
        )
        client.execute()
    return nb


def _code_cells(nb: Any, tag: str) -> list[Any]:
    cells = [
        cell
        for cell in nb.cells
        if cell.cell_type == "code" and tag in cell.metadata.get("tags", [])
    ]
    assert cells, f"no code cell tagged {tag!r}"
    return cells


def _stdout(nb: Any, tag: str) -> str:
    return "".join(
        str(output.text)
        for cell in _code_cells(nb, tag)
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stdout"
    )


def test_the_stored_notebook_has_no_outputs() -> None:
    nb = _read_notebook()
    nbformat.validate(nb)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code_cells
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code_cells)


def test_the_notebook_runs_in_the_interpreter_running_the_tests(executed: Any) -> None:
    assert _stdout(executed, PROBE_TAG) == f"{sys.executable}\n"


def test_no_cell_produces_an_error(executed: Any) -> None:
    errors = [
        f"{output.ename}: {output.evalue}"
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert errors == []


def test_basic_streaming_prints_cumulative_partials_then_the_final_value(executed: Any) -> None:
    assert _stdout(executed, "pattern-1") == CUMULATIVE_OUTPUT


def test_a_background_producer_gives_the_same_messages_as_basic_streaming(executed: Any) -> None:
    assert _stdout(executed, "pattern-2") == CUMULATIVE_OUTPUT


def test_delta_mode_prints_each_chunk_and_a_null_final_value(executed: Any) -> None:
    assert _stdout(executed, "pattern-3") == DELTA_OUTPUT


def test_a_structured_value_streams_as_best_effort_json(executed: Any) -> None:
    assert _stdout(executed, "pattern-4") == STRUCTURED_OUTPUT


def test_the_final_structured_value_validates_into_the_model(executed: Any) -> None:
    assert _stdout(executed, "pattern-4-validate") == VALIDATED_OUTPUT


def test_piping_the_streamer_selects_the_values_of_one_stream(executed: Any) -> None:
    assert _stdout(executed, "pattern-5-streamer") == PIPE_STREAMER_OUTPUT


def test_accumulate_and_to_deltas_convert_between_chunks_and_cumulative_text(
    executed: Any,
) -> None:
    assert _stdout(executed, "pattern-5-operators") == PIPE_OPERATORS_OUTPUT


def _seed_expected_outputs(text: str) -> dict[str, str]:
    """The message lines after each "Expected output" of the seed, by section number."""
    outputs: dict[str, str] = {}
    section = ""
    collecting = False
    for line in text.splitlines():
        heading = re.match(r"(\d+)\. ", line)
        if heading:
            section, collecting = heading.group(1), False
        elif line.startswith("Expected output"):
            collecting = True
            outputs[section] = ""
        elif collecting and line.startswith("{"):
            outputs[section] += line + "\n"
        elif collecting and line.strip():
            collecting = False
    return outputs


def test_the_expected_outputs_match_the_seed_text() -> None:
    seed = SEED.read_text(encoding="utf-8")
    assert _seed_expected_outputs(seed) == {"1": CUMULATIVE_OUTPUT, "3": DELTA_OUTPUT}
    final_json = STRUCTURED_OUTPUT.splitlines()[-1].removeprefix("partial JSON: ")
    assert f"fully-formed JSON {final_json}" in seed
