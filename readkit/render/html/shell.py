"""The parts every report page shares: the page frame, the legend, the data block."""

from __future__ import annotations

import json
from collections import Counter
from html import escape

from readkit.render.html.assets import STATIC_DIR
from readkit.roles import ROLES, role_names


def page(title: str, header: str, body: str, *, root: str, data: object | None = None) -> str:
    """A whole HTML page; `root` is the relative path from the page to the report's top folder."""
    data_block = ""
    if data is not None:
        payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
        data_block = f'<script type="application/json" id="rk-data">{payload}</script>\n'
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f'<link rel="stylesheet" href="{root}{STATIC_DIR}/report.css">\n</head>\n<body>\n'
        f'<header class="top">\n{header}\n</header>\n<main>\n{body}\n</main>\n'
        '<div id="tip" role="tooltip" hidden></div>\n'
        f'{data_block}<script src="{root}{STATIC_DIR}/report.js"></script>\n</body>\n</html>\n'
    )


def legend(counts: Counter[str], *, interactive: bool) -> str:
    """The roles present, in the table's order, with their colour, name and count.

    Interactive legends are toggle buttons that hide a role's highlighting.
    """
    items = []
    for name in role_names():
        if not counts.get(name):
            continue
        label = f'<span class="sw r-{name}"></span>{name} <small>{counts[name]}</small>'
        tip = escape(ROLES[name].title, quote=True)
        if interactive:
            items.append(f'<button type="button" data-role="{name}" aria-pressed="true" title="{tip}">{label}</button>')
        else:
            items.append(f'<span class="tag" title="{tip}">{label}</span>')
    if not items:
        return '<nav class="legend" aria-label="Roles"><span class="hint">no PyTorch use found</span></nav>'
    hint = '<span class="hint">roles (click to hide or show):</span>' if interactive else '<span class="hint">roles:</span>'
    return f'<nav class="legend" aria-label="Roles">{hint}{"".join(items)}</nav>'


def counts_text(counts: Counter[str]) -> str:
    """`tensor 12 · nn 4` in the table's order; readable without colour."""
    return " · ".join(f"{name} {counts[name]}" for name in role_names() if counts.get(name)) or "no PyTorch use"


class StringTable:
    """Interns the strings of a page's data block: messages and symbols repeat a lot."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, text: str | None) -> int:
        if text is None:
            return -1
        if text not in self._index:
            self._index[text] = len(self.strings)
            self.strings.append(text)
        return self._index[text]


def roles_data() -> dict[str, list[str | None]]:
    return {name: [role.title, role.reference_step] for name, role in ROLES.items()}
