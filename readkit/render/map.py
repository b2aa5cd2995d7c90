"""`readkit map` output: terminal text, Markdown (to paste into course notes) and JSON
(the shape documented in docs/map.md). With a run, Markdown shows the losses as an inline
SVG curve. Rendering only: the map is computed by readkit.map."""

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


@dataclasses.dataclass
class _Style:
    heading: Callable[[str], str]
    item: Callable[[str, Location, str | None], str]  # (text, where, step) -> one line
    sub: Callable[[str], str]  # a detail line under an item
    probably: Callable[[str], str]


def _text_style(color: bool) -> _Style:
    def paint(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if color else text

    return _Style(
        heading=lambda t: "\n" + paint(t, bold=True),
        item=lambda t, w, s: f"  {paint(_where(w), fg='cyan')}  {t}" + (paint(f"  [step {s}]", dim=True) if s else ""),
        sub=lambda t: f"      {t}",
        probably=lambda t: paint(f"probably: {t}", fg="yellow"),
    )


def _markdown_style() -> _Style:
    return _Style(
        heading=lambda t: f"\n## {t}\n",
        item=lambda t, w, s: f"- [`{_where(w)}`]({w.path}#L{w.line}) {t}" + (f" — `readkit run-reference --step {s}`" if s else ""),
        sub=lambda t: f"  - {t}",
        probably=lambda t: f"*probably: {t}*",
    )


def to_text(repo_map: RepoMap, *, color: bool = False) -> str:
    return _render(repo_map, _text_style(color), f"readkit map of {repo_map.root}")


def to_markdown(repo_map: RepoMap) -> str:
    text = _render(repo_map, _markdown_style(), f"# Map of `{repo_map.root}`")
    losses = repo_map.run.losses if repo_map.run is not None else ()
    if len(losses) >= 2:
        text += "\n## Loss over steps\n\n" + loss_curve_svg(losses) + "\n"
    return text


def _render(repo_map: RepoMap, style: _Style, title: str) -> str:
    lines = [title, f"{repo_map.files} files read" + (f", {len(repo_map.problems)} could not be" if repo_map.problems else "")]
    lines += _entries(repo_map, style) + _models(repo_map, style) + _built(repo_map, style)
    lines += _loops(repo_map, style) + _data(repo_map, style)
    for _key, title_text, kinds in SECTIONS:
        lines += _uses(repo_map.of_kind(*kinds), title_text, style)
    lines += _run(repo_map, style) + _problems(repo_map, style)
    return "\n".join(lines) + "\n"


def _where(where: Location) -> str:
    if where.cell is not None:
        return f"{where.path}:cell {where.cell}:{where.cell_line}"
    return f"{where.path}:{where.line}"


def _unsure(style: _Style, sure: bool, why: str | None) -> list[str]:
    return [style.sub(style.probably(why or "readkit is not sure"))] if not sure else []


def _entries(repo_map: RepoMap, style: _Style) -> list[str]:
    lines = [style.heading("Entry points")]
    lines += [line for e in repo_map.entry_points for line in _entry(e, style)] or ["  (none found)"]
    if repo_map.reading_order:
        lines.append(style.heading("Suggested reading order"))
        lines += [style.item(f"{n}. {r.what}: {r.why}", r.where, None) for n, r in enumerate(repo_map.reading_order, 1)]
    return lines


def _entry(entry: EntryPoint, style: _Style) -> list[str]:
    runs = f" runs {', '.join(entry.runs)}" if entry.runs else ""
    return [style.item(f"{entry.kind} {entry.name}{runs}", entry.where, None)] + _unsure(style, entry.sure, entry.why)


def _models(repo_map: RepoMap, style: _Style) -> list[str]:
    lines = [style.heading("Models")]
    order = {"top-level": 0, "submodule": 1, "not-built": 2}
    for model in sorted(repo_map.models, key=lambda m: (order.get(m.use, 3), m.where.path, m.where.line)):
        lines += _model(model, style)
    return lines if repo_map.models else lines + ["  (no nn.Module subclass found)"]


def _model(model: Model, style: _Style) -> list[str]:
    use = {"top-level": "top-level model", "submodule": "submodule", "not-built": "not built in these files"}[model.use]
    if model.kind == "autograd-function":
        use = "custom autograd function (called through .apply)"
    kind = "" if model.kind in ("model", "autograd-function") else f" ({model.kind})"
    built = f", built at {', '.join(_where(w) for w in model.built_at[:3])}" if model.built_at else ""
    lines = [style.item(f"{model.name}{kind}: {use}{built}", model.where, model.step)]
    lines += _unsure(style, model.sure, model.why)
    if model.submodules:
        lines.append(style.sub("builds " + ", ".join(f"{s.name}={s.builds} ({s.line})" for s in model.submodules)))
    if model.parameters is not None:
        lines.append(style.sub(f"{model.parameters:,} parameters"))
    if model.shapes:
        lines.append(style.sub("tensors seen on the lines that call it: " + ", ".join(model.shapes)))
    return lines


def _built(repo_map: RepoMap, style: _Style) -> list[str]:
    lines = []
    for kind, title in (("loss", "Losses"), ("optimizer", "Optimizers"), ("scheduler", "Schedulers"),
                        ("grad-scaler", "Gradient scalers (AMP)")):
        found = repo_map.built(kind)
        if found:
            lines.append(style.heading(title))
            lines += [line for c in found for line in _construction(c, style)]
    return lines


def _construction(built: Construction, style: _Style) -> list[str]:
    name = f"{built.variable} = " if built.variable else ""
    lines = [style.item(f"{name}{built.what}", built.where, built.step)]
    if built.given:
        lines.append(style.sub("given " + "; ".join(built.given)))
    return lines + _unsure(style, built.sure, built.why)


def _loops(repo_map: RepoMap, style: _Style) -> list[str]:
    lines = [style.heading("Training loops")]
    for loop in repo_map.loops:
        lines += _loop(loop, style)
    return lines if repo_map.loops else lines + ["  (no loop with backward and an optimizer step found)"]


def _loop(loop: TrainingLoop, style: _Style) -> list[str]:
    inside = f" in {loop.function}()" if loop.function else " (module level)"
    lines = [style.item(f"`{loop.header}`{inside}", loop.where, loop.step)] + _unsure(style, loop.sure, loop.why)
    for step in loop.steps:
        note = f"  ({step.note})" if step.note else ""
        lines.append(style.sub(f"{_where(step.where)}  {step.kind:<14} {step.text}{note}"))
    lines += [style.sub(f"note: {n}") for n in loop.notes]
    if loop.losses:
        lines.append(style.sub(f"losses seen: {len(loop.losses)}, first {loop.losses[0]:.4g}, last {loop.losses[-1]:.4g}"))
    return lines


def _data(repo_map: RepoMap, style: _Style) -> list[str]:
    datasets, loaders = repo_map.of_kind("dataset"), repo_map.built("loader")
    if not datasets and not loaders:
        return []
    lines = [style.heading("Data")]
    lines += [style.item(f"Dataset {u.what}", u.where, u.step) for u in datasets]
    return lines + [line for c in loaders for line in _construction(c, style)]


def _uses(uses: tuple[Use, ...], title: str, style: _Style) -> list[str]:
    if not uses:
        return []
    lines = [style.heading(title)]
    for use in uses:
        lines.append(style.item(f"{use.kind}: {use.text}" if use.kind not in title.lower() else use.text,
                                use.where, use.step))
        lines += _unsure(style, use.sure, use.why)
    return lines


def _run(repo_map: RepoMap, style: _Style) -> list[str]:
    run = repo_map.run
    if run is None:
        return []
    lines = [style.heading(f"Run of {run.script}"), f"  status: {run.status}" + (f" ({run.message})" if run.message else "")]
    if run.losses:
        lines.append(f"  {len(run.losses)} losses seen at backward: first {run.losses[0]:.4g}, last {run.losses[-1]:.4g}, "
                     f"lowest {min(run.losses):.4g}")
    return lines


def _problems(repo_map: RepoMap, style: _Style) -> list[str]:
    if not repo_map.problems:
        return []
    return [style.heading("Files that could not be read")] + [f"  {p.path}: {p.message}" for p in repo_map.problems]


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
