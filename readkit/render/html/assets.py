"""The report's static files: the packaged CSS and JS, plus role colours and
Pygments classes generated from their one source each (readkit.roles, Pygments)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pygments.formatters import HtmlFormatter

from readkit.render.html.highlight import PYGMENTS_STYLE
from readkit.roles import ROLES

# A role's colour is a terminal colour name (readkit.roles.Role.color); these are
# the same names as web colours that read well on white and on a dark page.
WEB_COLORS: dict[str, str] = {
    "blue": "#2f6fde",
    "magenta": "#b62fc4",
    "green": "#1a8f3c",
    "yellow": "#b7860b",
    "cyan": "#0a8fa8",
    "red": "#cf222e",
    "white": "#7a828c",  # "white" in a terminal is the neutral colour; grey on a page
    "black": "#424a53",
}
STATIC_DIR = "static"


def web_color(role: str) -> str:
    """The CSS colour of a role (unknown roles get the neutral grey)."""
    terminal = ROLES[role].color if role in ROLES else "white"
    return WEB_COLORS.get(terminal, WEB_COLORS["white"])


def role_css(scope: str = "") -> str:
    """Per role: span tint, underline, legend swatch, tag border, and the legend's hide switch.

    `scope` prefixes every selector (the Jupyter fragment keeps its styles to itself).
    """
    s = f"{scope} " if scope else ""
    rules = []
    for name in ROLES:
        color = web_color(name)
        rules.append(
            f"{s}.a.r-{name}{{background:{color}26;border-bottom-color:{color}}}"
            f"{s}.sw.r-{name}{{background:{color}}}{s}.tag.r-{name}{{border-color:{color};color:{color}}}"
            f"{s}.hide-{name} .a.r-{name}{{background:none;border-bottom-color:transparent}}"
            f"{s}.hide-{name} .tag.r-{name}{{display:none}}"
        )
    return "\n".join(rules)


def stylesheet() -> str:
    base = resources.files(__package__).joinpath("static/report.css").read_text(encoding="utf-8")
    pygments_css = HtmlFormatter(style=PYGMENTS_STYLE).get_style_defs(".code")  # type: ignore[no-untyped-call]  # untyped in types-Pygments
    return f"{base}\n/* roles (readkit.roles) */\n{role_css()}\n/* syntax (Pygments) */\n{pygments_css}\n"


def script() -> str:
    return resources.files(__package__).joinpath("static/report.js").read_text(encoding="utf-8")


def write_static(out_dir: Path) -> None:
    static = out_dir / STATIC_DIR
    static.mkdir(parents=True, exist_ok=True)
    (static / "report.css").write_text(stylesheet(), encoding="utf-8")
    (static / "report.js").write_text(script(), encoding="utf-8")
