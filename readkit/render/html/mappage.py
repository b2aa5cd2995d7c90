"""The map report's front page: `readkit map --html`'s index.html.

The sections and their wording are render.map's (`sections`), written through an HTML
`Style`: every item links to its file's page at the line (`links`: a path as the map gives
it -> that page), and with a run the losses are drawn with the same SVG as in Markdown.
What this page leaves out: the files' own annotations (they are on the file pages).
"""

from __future__ import annotations

import re
from html import escape

from readkit.render.html.shell import page
from readkit.render.map import Style, loss_curve_svg, sections, summary, where_text
from readkit.results.map import Location, RepoMap

_CODE = re.compile(r"`([^`]+)`")


def map_page(repo_map: RepoMap, links: dict[str, str], *, table_href: str) -> str:
    """The whole page; `table_href` is the report's table of every file."""
    root = escape(repo_map.root)
    header = (f"<h1>Map of <code>{root}</code></h1>\n"
              f'<p class="summary">{escape(summary(repo_map))} · <a href="{table_href}">all files, by role</a></p>')
    body = "\n".join(sections(repo_map, _html_style(links)))
    return page(f"Map of {repo_map.root} — readkit", header, f'<div class="map">\n{body}\n</div>', root="")


def _html_style(links: dict[str, str]) -> Style:
    def place(where: Location) -> str:
        page_href = links.get(where.path)
        text = escape(where_text(where))
        return f'<a class="w" href="{page_href}#L{where.line}">{text}</a>' if page_href else f'<span class="w">{text}</span>'

    def item(text: str, where: Location, step: str | None) -> str:
        teach = f' <span class="step">readkit run-reference --step {escape(step)}</span>' if step else ""
        return f'<div class="mi">{place(where)} {_inline(text)}{teach}</div>'

    return Style(
        heading=lambda t: f"<h2>{escape(t)}</h2>",
        item=item,
        detail=lambda t, w: f'<div class="ms">{place(w) + " " if w else ""}{_inline(t)}</div>',
        unsure=lambda why: f'<div class="ms probably">probably: {escape(why)}</div>',
        plain=lambda t: f'<p class="mp">{escape(t)}</p>',
        curve=lambda losses: [f'<figure class="curve">{loss_curve_svg(losses)}'
                              f"<figcaption>loss at each backward, {len(losses)} steps</figcaption></figure>"],
    )


def _inline(text: str) -> str:
    """Escaped text, with the map's `code` spans as <code>."""
    return _CODE.sub(r"<code>\1</code>", escape(text, quote=False))
