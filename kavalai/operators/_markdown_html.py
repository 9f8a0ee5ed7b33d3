"""The parser and renderer of the Markdown operator: markdown-it-py, sanitised."""

from __future__ import annotations

from collections.abc import Sequence

from .._extras import missing_extra

try:
    from markdown_it import MarkdownIt
    from markdown_it.common.utils import escapeHtml
    from markdown_it.renderer import RendererHTML
    from markdown_it.token import Token
    from markdown_it.utils import EnvType, OptionsDict
except ImportError as missing:  # pragma: no cover - exercised without the extra
    raise missing_extra("kavalai's Markdown operator", "markdown-it-py", "markdown") from missing

__all__ = ["EnvType", "Token", "parser", "render_markdown"]


def render_markdown(text: str) -> str:
    """``text`` rendered whole, with the parser and the rules the stream uses."""
    html: str = parser().render(text)
    return html


def parser() -> MarkdownIt:
    """CommonMark with GitHub's tables and strikethrough; raw HTML off, images as links."""
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.add_render_rule("image", _image)
    return md


def _image(
    self: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    """An image as a link to it: model output never makes the page fetch anything."""
    token = tokens[index]
    source = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    return f'<a class="image" href="{escapeHtml(source)}">{escapeHtml(alt or source)}</a>'
