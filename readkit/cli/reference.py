"""`readkit run-reference`: run the checked "PyTorch in 10 minutes" workflow."""

from __future__ import annotations

import os
import sys

import click

from readkit.cli.common import FORMATS_TEXT_JSON, InputError, use_color


@click.command("run-reference")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Where to run; auto picks CUDA when available.")
@click.option("--section", "sections", multiple=True, metavar="NAME",
              help="Run only this section (tensors, autograd, nn, optim, jit, classic, polynomial). Repeatable.")
@click.option("--step", "steps", multiple=True, metavar="NAME",
              help="Run only this step (`section.step` or `step`). Repeatable.")
@click.option("--include-slow", is_flag=True, help="Also run the slow steps (torch.compile: 6-30 s cold on CPU).")
@click.option("--compare-devices", is_flag=True, help="Run each step on CPU and CUDA and compare the results.")
@click.option("--format", "fmt", type=FORMATS_TEXT_JSON, default="text", show_default=True,
              help="Output format.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: when a terminal).")
def run_reference(device: str, sections: tuple[str, ...], steps: tuple[str, ...], include_slow: bool,
                  compare_devices: bool, fmt: str, color: bool | None) -> None:
    """Run the checked reference workflow; every step asserts its expected values.

    Exit 0 when every step passes, 1 when any fails, 2 on bad usage.
    """
    # The reference's arrays are small: one BLAS thread is faster than two that spin
    # on a busy machine (measured in docs/performance.md). A user's own setting wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from readkit import reference
    from readkit.render import reference as render

    try:
        plan = reference.plan_run(device=device, sections=sections, steps=steps,
                                  include_slow=include_slow, compare_devices=compare_devices)
    except reference.ReferenceUsageError as error:
        raise InputError(str(error)) from None
    progress = render.progress_printer(sys.stderr) if fmt == "text" else None
    run = reference.execute(plan, progress=progress)
    if fmt == "json":
        click.echo(render.to_json(run))
    else:
        colored = use_color(color)
        click.echo(render.to_text(run, color=colored), color=colored)  # --color holds even when piped
    sys.exit(0 if run.failed == 0 else 1)
