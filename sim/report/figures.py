"""The report's figures: the plots' own figures as inline SVG (same folder, same bytes)."""

from __future__ import annotations

import io
import re

from ..plots._style import SVG_METADATA, style

_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
_ID = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')
_SIZE = re.compile(r'<svg([^>]*?) width="[^"]*" height="[^"]*"')


def inline_svg(fig, prefix: str, label: str) -> str:
    """A matplotlib figure as an <svg> element to put in the page.

    Its ids get `prefix` so that several figures in one page never share one; its size
    follows the page's width (the viewBox keeps the proportions).
    """
    buffer = io.StringIO()
    with style():
        fig.savefig(buffer, format="svg", metadata=SVG_METADATA)
    svg = _PROLOGUE.sub("", buffer.getvalue(), count=1)
    svg = _ID.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)
    svg = _SIZE.sub(lambda m: f'<svg{m.group(1)} role="img" aria-label="{label}"', svg,
                    count=1)
    return svg.strip()
