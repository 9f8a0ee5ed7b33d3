"""The streaming notebook runs in a real Jupyter kernel and prints what its text promises."""

from __future__ import annotations

import ast
import itertools
import json
import re
import sys
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from html.parser import HTMLParser
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


class RecordingClient(NotebookClient):
    """Executes a notebook and keeps every display message, by cell index."""

    def __init__(self, nb: Any, **kwargs: Any) -> None:
        super().__init__(nb, **kwargs)
        self.displays: dict[int, list[dict[str, Any]]] = {}

    def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
        if msg["msg_type"] in ("display_data", "update_display_data"):
            self.displays.setdefault(cell_index, []).append(msg)
        return super().process_message(msg, cell, cell_index)


def execute(nb: Any, jupyter_dir: Path) -> RecordingClient:
    """Run ``nb`` in place in a kernel on the interpreter running this."""
    if not (jupyter_dir / "kernels" / KERNEL_NAME).is_dir():
        _write_kernelspec(jupyter_dir / "kernels")
    with pytest.MonkeyPatch.context() as patch:
        # Listed first on JUPYTER_PATH, this spec wins over any user or system one.
        patch.setenv("JUPYTER_PATH", str(jupyter_dir))
        client = RecordingClient(
            nb,
            timeout=60,
            kernel_name=KERNEL_NAME,
            resources={"metadata": {"path": str(NOTEBOOKS)}},
        )
        client.execute()
    return client


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RecordingClient:
    """The notebook, executed once, with a probe cell appended that reports the kernel."""
    nb = _read_notebook()
    nb.cells.append(_probe_cell())
    return execute(nb, tmp_path_factory.mktemp("jupyter"))


@pytest.fixture(scope="module")
def executed(run: RecordingClient) -> Any:
    return run.nb


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


# What changes from one run to the next: rates, and the times of marks.
_VOLATILE = re.compile(r"[\d,.]+ msg/s|data-at=\"[\d.]+\"")


def _normalized(outputs: list[Any]) -> list[Any]:
    """The outputs to compare: volatile numbers masked, adjacent pieces of a stream joined.

    The kernel may send one cell's printed text as several stream outputs, split
    wherever its output buffer was flushed, so only their joined text is compared.
    """
    normalized: list[Any] = []
    for output in outputs:
        if output.output_type == "stream":
            if normalized and normalized[-1][0] == ("stream", output.name):
                normalized[-1] = (("stream", output.name), normalized[-1][1] + output.text)
            else:
                normalized.append((("stream", output.name), output.text))
        elif output.output_type in ("display_data", "execute_result"):
            data = {kind: _VOLATILE.sub("#", str(value)) for kind, value in output.data.items()}
            normalized.append((output.output_type, data))
        else:
            normalized.append((output.output_type, output.get("ename")))
    return normalized


def test_the_stored_outputs_are_what_executing_the_notebook_produces(executed: Any) -> None:
    stored = _read_notebook()
    nbformat.validate(stored)
    pairs = zip(stored.cells, executed.cells, strict=False)
    code = [(mine, ran) for mine, ran in pairs if mine.cell_type == "code"]
    assert all(mine.outputs or not ran.outputs for mine, ran in code)
    assert [_normalized(mine.outputs) for mine, _ in code] == [
        _normalized(ran.outputs) for _, ran in code
    ]


def test_no_cell_ends_with_a_bare_subscribe() -> None:
    for cell in _read_notebook().cells:
        if cell.cell_type != "code":
            continue
        last = ast.parse(cell.source.replace("await ", "")).body[-1]
        call = last.value if isinstance(last, ast.Expr) else None
        bare = (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "subscribe"
        )
        assert not bare, cell.source


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


def _cell_index(nb: Any, tag: str) -> int:
    (index,) = [n for n, cell in enumerate(nb.cells) if tag in cell.metadata.get("tags", [])]
    return index


class _Html(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text += data


def _thought(html: str) -> str:
    """The text of the thought panel in a board's HTML."""
    found = re.search(r'data-stream="thought".*?class="kavalai-text"[^>]*>(.*?)</div>', html)
    assert found, html
    return found.group(1)


def test_live_display_updates_one_output_in_place_with_the_text_so_far(
    run: RecordingClient,
) -> None:
    messages = run.displays[_cell_index(run.nb, "live-display")]
    first, *updates = messages
    assert first["msg_type"] == "display_data"
    assert {message["msg_type"] for message in updates} == {"update_display_data"}
    display_ids = {message["content"]["transient"]["display_id"] for message in messages}
    assert len(display_ids) == 1
    # The first shows the board before any message: no panel yet.
    assert 'data-stream="thought"' not in first["content"]["data"]["text/html"]
    thoughts = [_thought(message["content"]["data"]["text/html"]) for message in updates]
    assert len(set(thoughts)) >= 3  # seen growing, not only at the end
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(thoughts))
    assert thoughts[-1] == "Looking up the record of Timo and the year he was born "


def test_live_display_coalesces_updates_to_about_ten_a_second(run: RecordingClient) -> None:
    messages = run.displays[_cell_index(run.nb, "live-display")]
    # The kernel stamps each message; between the first and the last, updates
    # came at most once per 0.1 s interval, plus the final one.
    dates: list[datetime] = [message["header"]["date"] for message in messages]
    seconds = (dates[-1] - dates[0]).total_seconds()
    assert len(messages) <= seconds / 0.1 + 2
    assert len(messages) < 17  # fewer updates than the stream had messages


def test_live_display_leaves_the_final_state_as_static_html(executed: Any) -> None:
    (output,) = executed.cells[_cell_index(executed, "live-display")].outputs
    html = output.data["text/html"]
    parsed = _Html(html)
    assert "script" not in parsed.tags
    assert "done · 17 messages · 0 of 2 streams active" in parsed.text
    assert "birth_year" in parsed.text
    assert "1986" in parsed.text


def test_hostile_values_arrive_escaped_in_every_html_output(run: RecordingClient) -> None:
    hostile = '<img src=x onerror=alert(1)></table><script>alert("x")</script>␛[2J␛[31mred?'
    first, *updates = run.displays[_cell_index(run.nb, "hostile")]
    assert 'data-stream="hostile"' not in first["content"]["data"]["text/html"]
    for message in updates:
        parsed = _Html(message["content"]["data"]["text/html"])
        assert "script" not in parsed.tags
        assert "img" not in parsed.tags
        assert hostile in parsed.text
        assert "\x1b" not in message["content"]["data"]["text/plain"]


def test_the_marble_timeline_is_svg_with_a_lane_per_source(executed: Any) -> None:
    outputs = executed.cells[_cell_index(executed, "marbles")].outputs
    svg = next(output.data["image/svg+xml"] for output in outputs if "data" in output)
    root = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    lanes = root.findall(f"{ns}g")
    assert [lane.get("data-lane") for lane in lanes] == ["chunks", "accumulate"]
    for lane in lanes:
        kinds = [mark.get("class") for mark in lane if mark.get("class")]
        assert kinds == ["mark value"] * 3 + ["mark complete"]
    # One shared subscription: each chunk and its accumulation side by side.
    assert _stdout(executed, "marbles") == (
        "chunks     o----------------o----------------o----------------|--------\n"
        "accumulate --------o----------------o----------------o----------------|\n"
    )
    labels = [text.text for text in root.iter(f"{ns}text")]
    values = [label for label in labels if label not in ("chunks", "accumulate")]
    assert values == ["He", "ll", "o", "He", "Hell", "Hello"]  # written on the marbles


def test_the_display_of_a_failed_stream_says_it_failed(executed: Any) -> None:
    outputs = executed.cells[_cell_index(executed, "error")].outputs
    html = next(output.data["text/html"] for output in outputs if "data" in output)
    assert 'data-state="error"' in html
    assert "✗ failed" in html
    assert "failed · 1 message · 0 of 1 stream active" in _Html(html).text
    assert "streaming" not in _Html(html).text


def test_an_error_and_a_timeout_are_shown(executed: Any) -> None:
    assert _stdout(executed, "error") == (
        "partial Half an ans\nfailed: the model's connection dropped\n"
    )
    assert _stdout(executed, "timeout").startswith("partial Hello\ntimed out: ")
    assert _stdout(executed, "closing").endswith("producer cancelled: True\n")


def write_outputs() -> None:
    """Execute the notebook and store it with its outputs: ``python -m tests.test_notebook``."""
    import tempfile

    nb = _read_notebook()
    with tempfile.TemporaryDirectory() as jupyter_dir:
        execute(nb, Path(jupyter_dir))
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, NOTEBOOK)  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    write_outputs()


def test_the_notebook_names_kavalai_and_promises_the_sections_it_has() -> None:
    nb = _read_notebook()
    text = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    assert "Kaval.AI" not in text
    assert "kavalai's async streaming primitive" in text
    promised = re.findall(r"^(\d+)\. ", nb.cells[0].source, re.MULTILINE)
    headings = re.findall(r"^## (\d+)\. ", text, re.MULTILINE)
    assert headings == [str(number) for number in range(1, 13)]
    assert promised == [str(number) for number in range(5, 13)]
    assert "four common patterns (sections 1 to 4)" in nb.cells[0].source


def test_no_cell_repeats_an_output_as_expected_output_text() -> None:
    for cell in _read_notebook().cells:
        assert "Expected output" not in cell.source


def test_the_notebook_says_every_consumer_replays_from_the_first_message() -> None:
    text = "".join(cell.source for cell in _read_notebook().cells if cell.cell_type == "markdown")
    assert "from the moment it subscribes" not in text
    assert "Every consumer reads the Streamer from its first message" in text


def test_a_late_subscriber_replays_the_stream(executed: Any) -> None:
    assert _stdout(executed, "replay") == (
        "late value: Hello,\nlate value: Hello, world!\nlate done\n"
    )


def test_typed_partials_print_each_line_once(executed: Any) -> None:
    lines = _stdout(executed, "typed").splitlines()
    assert len(lines) == len(set(lines))
    assert "validated: [95, 146] moons" in lines


def test_no_cell_writes_to_standard_error(executed: Any) -> None:
    names = {
        output.name
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
    }
    assert names == {"stdout"}


def test_a_background_consumer_logs_to_standard_output_under_the_display(executed: Any) -> None:
    assert _stdout(executed, "background-consumer") == (
        "consumer: partial 'one '\nconsumer: partial 'two '\n"
        "consumer: partial 'three'\nconsumer: complete None\n"
    )


def test_markdown_streams_rendered_live_and_the_operator_finishes_each_block_once(
    run: RecordingClient,
) -> None:
    messages = run.displays[_cell_index(run.nb, "markdown-display")]
    shown = [message["content"]["data"]["text/html"] for message in messages]
    final = _Html(shown[-1])
    assert {"h2", "strong", "em", "table", "pre"} <= set(final.tags)
    assert "**" not in final.text
    assert "script" not in final.tags
    assert len(shown) >= 3  # seen as it grew
    assert _stdout(run.nb, "markdown-operator").startswith(
        "finished: ['heading']\nfinished: ['paragraph']\nfinished: ['table']\n"
        "finished: ['fence']\n<h2>Gas giants</h2>\n"
    )


def test_pacing_shows_the_first_and_the_final_message_and_smooths_words(executed: Any) -> None:
    assert _stdout(executed, "throttle") == (
        "2 of 51 messages shown:\npartial ending in 0\ncomplete ending in 49\n"
    )
    assert _stdout(executed, "smooth") == (
        "['Once ', 'upon ', 'a ', 'time ', 'there ', 'was ', 'a ', 'stream.']\n"
    )
