"""`readkit map` output: terminal text, Markdown (to paste into course notes) and JSON
(the shape documented in docs/map.md). The sections are written once (`sections`), through
a `Style` per format; the HTML report's front page (render.html.mappage) is one more style.
With a run, Markdown and HTML show the losses as an inline SVG curve (`loss_curve_svg`).
Rendering only: the map is computed by readkit.map."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import click

from readkit.version import __version__
from readkit.results.map import (Construction, EntryPoint, Location, Model, RepoMap, TrainingLoop, Use)

SCHEMA = "readkit-map/1"
SECTIONS = (("evaluation", "Evaluation", ("evaluation", "no-grad-update")),
            ("checkpoints", "Checkpoints", ("checkpoint-save", "checkpoint-load", "state-dict")),
            ("compile", "jit / compile / export", ("compile",)),
            ("distributed", "Distributed", ("distributed",)),
            ("device", "Devices", ("device",)))


# ---------------------------------------------------------------------- JSON


def to_json(repo_map: RepoMap) -> str:
    body = dataclasses.asdict(repo_map)
    return json.dumps({"readkit_version": __version__, "schema": SCHEMA, **body}, indent=2) + "\n"


# ---------------------------------------------------------------------- text and Markdown


@dataclasses.dataclass(frozen=True)
class Style:
    """How one output format writes the pieces of the map (text, Markdown, HTML: render.html.mappage).
    Every hook is given plain text and escapes it as its format needs."""

    heading: Callable[[str], str]
    item: Callable[[str, Location, str | None], str]  # (text, where, step) -> one item
    detail: Callable[[str, Location | None], str]  # a line under an item, at a place when it has one
    unsure: Callable[[str], str]  # "probably: why" under an item
    plain: Callable[[str], str]  # a line of text: "(none found)", the run's status
    curve: Callable[[tuple[float, ...]], list[str]] = lambda losses: []  # the losses drawn, where the format can

    def sub(self, text: str, where: Location | None = None) -> str:
        return self.detail(text, where)


def _text_style(color: bool) -> Style:
    def paint(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if color else text

    return Style(
        heading=lambda t: "\n" + paint(t, bold=True),
        item=lambda t, w, s: f"  {paint(where_text(w), fg='cyan')}  {t}" + (paint(f"  [step {s}]", dim=True) if s else ""),
        detail=lambda t, w: f"      {where_text(w) + '  ' if w else ''}{t}",
        unsure=lambda why: "      " + paint(f"probably: {why}", fg="yellow"),
        plain=lambda t: f"  {t}",
    )


def _markdown_style() -> Style:
    def link(w: Location) -> str:
        return f"[`{where_text(w)}`]({w.path}#L{w.line})"

    return Style(
        heading=lambda t: f"\n## {t}\n",
        item=lambda t, w, s: f"- {link(w)} {t}" + (f" — `readkit run-reference --step {s}`" if s else ""),
        detail=lambda t, w: f"  - {link(w) + ' ' if w else ''}{t}",
        unsure=lambda why: f"  - *probably: {why}*",
        plain=lambda t: f"  {t}",
        curve=lambda losses: ["", loss_curve_svg(losses), ""],
    )


def to_text(repo_map: RepoMap, *, color: bool = False) -> str:
    return "\n".join([f"readkit map of {repo_map.root}", summary(repo_map)] + sections(repo_map, _text_style(color))) + "\n"


def to_markdown(repo_map: RepoMap) -> str:
    return "\n".join([f"# Map of `{repo_map.root}`", summary(repo_map)] + sections(repo_map, _markdown_style())) + "\n"


def summary(repo_map: RepoMap) -> str:
    read = f"{repo_map.files} file{'s' if repo_map.files != 1 else ''} read"
    return read + (f", {len(repo_map.problems)} could not be" if repo_map.problems else "")


def sections(repo_map: RepoMap, style: Style) -> list[str]:
    """The map's sections in reading order, each line written by `style`."""
    lines = _entries(repo_map, style) + _models(repo_map, style) + _built(repo_map, style)
    lines += _loops(repo_map, style) + _data(repo_map, style)
    for _key, title_text, kinds in SECTIONS:
        lines += _uses(repo_map.of_kind(*kinds), title_text, style)
    return lines + _run(repo_map, style) + _problems(repo_map, style)


def where_text(where: Location) -> str:
    """`train.py:12`; in a notebook `sine_fit.ipynb (cell 8, line 3)`, as a reader finds it."""
    if where.cell is not None:
        return f"{where.path} (cell {where.cell}, line {where.cell_line})"
    return f"{where.path}:{where.line}"


def _unsure(style: Style, sure: bool, why: str | None) -> list[str]:
    return [style.unsure(why or "readkit is not sure")] if not sure else []


def _entries(repo_map: RepoMap, style: Style) -> list[str]:
    lines = [style.heading("Entry points")]
    lines += [line for e in repo_map.entry_points for line in _entry(e, style)] or [style.plain("(none found)")]
    if repo_map.reading_order:
        lines.append(style.heading("Suggested reading order"))
        lines += [style.item(f"{n}. {r.what}: {r.why}", r.where, None) for n, r in enumerate(repo_map.reading_order, 1)]
    return lines


def _entry(entry: EntryPoint, style: Style) -> list[str]:
    runs = f" runs {', '.join(entry.runs)}" if entry.runs else ""
    return [style.item(f"{entry.kind} {entry.name}{runs}", entry.where, None)] + _unsure(style, entry.sure, entry.why)


def _models(repo_map: RepoMap, style: Style) -> list[str]:
    lines = [style.heading("Models")]
    order = {"top-level": 0, "submodule": 1, "not-built": 2}
    for model in sorted(repo_map.models, key=lambda m: (order.get(m.use, 3), m.where.path, m.where.line)):
        lines += _model(model, style)
    return lines if repo_map.models else lines + [style.plain("(no nn.Module subclass found)")]


def _model(model: Model, style: Style) -> list[str]:
    use = {"top-level": "top-level model", "submodule": "submodule", "not-built": "not built in these files"}[model.use]
    if model.kind == "autograd-function":
        use = "custom autograd function (called through .apply)"
    kind = "" if model.kind in ("model", "autograd-function") else f" ({model.kind})"
    built = f", built at {', '.join(where_text(w) for w in model.built_at[:3])}" if model.built_at else ""
    lines = [style.item(f"{model.name}{kind}: {use}{built}", model.where, model.step)]
    lines += _unsure(style, model.sure, model.why)
    if model.submodules:
        lines.append(style.sub("builds " + ", ".join(f"{s.name}={s.builds} ({_line_in(model.where, s.line)})"
                                                  for s in model.submodules)))
    if model.parameters is not None:
        trainable = f" ({model.trainable:,} trainable)" if model.trainable is not None else ""
        lines.append(style.sub(f"{model.parameters:,} parameters{trainable}"))
    if model.shapes:
        lines.append(style.sub("tensors seen on the lines that call it: " + ", ".join(model.shapes)))
    return lines


def _line_in(where: Location, line: int) -> str:
    """A line of the class at `where`, as a reader finds it: in a notebook, in the class's cell
    (a class statement never spans cells)."""
    if where.cell is None or where.cell_line is None:
        return str(line)
    return f"cell {where.cell}, line {where.cell_line + line - where.line}"


def _built(repo_map: RepoMap, style: Style) -> list[str]:
    lines = []
    for kind, title in (("loss", "Losses"), ("optimizer", "Optimizers"), ("scheduler", "Schedulers"),
                        ("grad-scaler", "Gradient scalers (AMP)")):
        found = repo_map.built(kind)
        if found:
            lines.append(style.heading(title))
            lines += [line for c in found for line in _construction(c, style)]
    return lines


def _construction(built: Construction, style: Style) -> list[str]:
    name = f"{built.variable} = " if built.variable else ""
    lines = [style.item(f"{name}{built.what}", built.where, built.step)]
    if built.given:
        lines.append(style.sub("given " + "; ".join(built.given)))
    return lines + _unsure(style, built.sure, built.why)


def _loops(repo_map: RepoMap, style: Style) -> list[str]:
    lines = [style.heading("Training loops")]
    for loop in repo_map.loops:
        lines += _loop(loop, style)
    return lines if repo_map.loops else lines + [style.plain("(no loop with backward and an optimizer step found)")]


def _loop(loop: TrainingLoop, style: Style) -> list[str]:
    inside = f" in {loop.function}()" if loop.function else " (module level)"
    lines = [style.item(f"`{loop.header}`{inside}", loop.where, loop.step)] + _unsure(style, loop.sure, loop.why)
    for step in loop.steps:
        note = f"  ({step.note})" if step.note else ""
        lines.append(style.sub(f"{step.kind:<14} {step.text}{note}", step.where))
    lines += [style.sub(f"note: {n}") for n in loop.notes]
    if loop.losses:
        lines.append(style.sub(f"losses seen: {len(loop.losses)}, first {loop.losses[0]:.4g}, last {loop.losses[-1]:.4g}"))
    return lines


def _data(repo_map: RepoMap, style: Style) -> list[str]:
    datasets, loaders = repo_map.of_kind("dataset"), repo_map.built("loader")
    if not datasets and not loaders:
        return []
    lines = [style.heading("Data")]
    lines += [style.item(f"Dataset {u.what}", u.where, u.step) for u in datasets]
    return lines + [line for c in loaders for line in _construction(c, style)]


def _uses(uses: tuple[Use, ...], title: str, style: Style) -> list[str]:
    if not uses:
        return []
    lines = [style.heading(title)]
    for use in uses:
        lines.append(style.item(f"{use.kind}: {use.text}" if use.kind not in title.lower() else use.text,
                                use.where, use.step))
        lines += _unsure(style, use.sure, use.why)
    return lines


def _run(repo_map: RepoMap, style: Style) -> list[str]:
    run = repo_map.run
    if run is None:
        return []
    status = f"status: {run.status}" + (f" ({run.message})" if run.message else "")
    lines = [style.heading(f"Run of {run.script}"), style.plain(status)]
    if run.losses:
        lines.append(style.plain(f"{len(run.losses)} losses seen at backward: first {run.losses[0]:.4g}, "
                                 f"last {run.losses[-1]:.4g}, lowest {min(run.losses):.4g}"))
        lines += style.curve(run.losses) if len(run.losses) >= 2 else []
    return lines


def _problems(repo_map: RepoMap, style: Style) -> list[str]:
    if not repo_map.problems:
        return []
    return [style.heading("Files that could not be read")] + [style.plain(f"{p.path}: {p.message}")
                                                              for p in repo_map.problems]


# ---------------------------------------------------------------------- the loss curve


def loss_curve_svg(losses: tuple[float, ...], width: int = 360, height: int = 120) -> str:
    """A small inline SVG polyline of the losses (finite ones), with the first and last values."""
    points = [(i, v) for i, v in enumerate(losses) if v == v and abs(v) != float("inf")]
    if len(points) < 2:
        return ""
    low, high = min(v for _, v in points), max(v for _, v in points)
    span, last = (high - low) or 1.0, points[-1][0] or 1
    xy = " ".join(f"{4 + (width - 8) * i / last:.1f},{4 + (height - 8) * (high - v) / span:.1f}" for i, v in points)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="loss from {points[0][1]:.4g} to {points[-1][1]:.4g} over {len(points)} steps">'
            f'<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{xy}"/>'
            f'<text x="6" y="14" font-size="11">{high:.4g}</text>'
            f'<text x="6" y="{height - 6}" font-size="11">{low:.4g}</text></svg>')
