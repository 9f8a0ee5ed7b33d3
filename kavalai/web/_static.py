"""The browser's side: kavalai's ES module, which follows an answer over kavalai's SSE."""

from __future__ import annotations

from importlib import resources

__all__ = ["client_module"]


def client_module() -> str:
    """The text of ``kavalai.js``, an ES module that follows an answer in a browser.

    Serve it from your app (``text/javascript``) and import it in a page::

        import { follow } from "/kavalai.js";
        const answer = follow("/streams/" + id, { onChange(name, stream) { ... } });

    ``follow`` rebuilds each stream's text from the wire records (see
    ``docs/wire.md``), resumes after a dropped connection, and closes its
    ``EventSource`` on the ``end`` and ``error`` events, which a browser
    would otherwise take as a reason to ask for the finished answer again.
    ``partialJson`` gives the best-effort value of JSON text still being
    written. The demo page (``python -m kavalai serve``) uses both.
    """
    return resources.files("kavalai.web").joinpath("static/kavalai.js").read_text("utf-8")
