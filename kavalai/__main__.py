"""The command line: ``python -m kavalai demo|serve``, also installed as ``kavalai``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import __version__
from ._extras import missing_extra

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kavalai",
        description="Stream several named values of AI output, text or partial JSON.",
    )
    parser.add_argument("--version", action="version", version=f"kavalai {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="replay a recorded two-stream model response and render it live",
        description=(
            "Replay a recorded model response, a text thought and a JSON result, "
            "through one Streamer and render it as it streams. No network needed."
        ),
    )
    demo.add_argument("--fast", action="store_true", help="skip the recorded pauses")
    serve = commands.add_parser(
        "serve",
        help="serve the recorded response live to a browser (needs kavalai[web])",
        description=(
            "Serve a page that shows the recorded response live in the browser over "
            "kavalai's server-sent events, resuming after a reload. Loopback only by default."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    serve.add_argument("--fast", action="store_true", help="skip the recorded pauses")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: The arguments after the program name; ``sys.argv[1:]`` by default.

    Returns:
        The exit code: 0 on success, 2 when no command was given, 1 when the
        output pipe closed early or ``serve`` lacks the web extra, 130 on Ctrl-C.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        if args.command == "serve":
            try:
                import uvicorn  # noqa: F401  (serve() imports it when it runs)

                from .web._demo import serve
            except ImportError:
                # One line, not a traceback: the only fix is to install the extra.
                needs = missing_extra("python -m kavalai serve", "Starlette, httpx, uvicorn", "web")
                print(needs, file=sys.stderr)
                return 1
            return serve(args.host, args.port, fast=args.fast)
        from ._demo import run_demo  # only the demo needs it; keeps --help quick

        return run_demo(fast=args.fast)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader left early (``| head``). Pointing stdout at devnull keeps the
        # interpreter's final flush from failing a second time, with a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
