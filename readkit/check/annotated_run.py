"""`readkit annotate PATHS --run SCRIPT`: each file annotated once, for the run's verdicts and for the report.

The run comes first: what it saw informs the annotator. The files the run judges (the script and
its project's files that ran) are annotated with those facts, those among PATHS in PATHS' own
context (the same repository index, so exactly the result the report would make), the others on
their own; their annotations are judged; the report then takes those results as made
(`iter_annotate(..., made=...)`) instead of analyzing the files again.
"""

from __future__ import annotations

import os
from pathlib import Path

from readkit import annotate  # its functions looked up at call time (tests replace them on the package)
from readkit.annotate import Plan
from readkit.check.reconcile import files_to_judge, judged, run_observations
from readkit.results.annotate import FileResult
from readkit.results.check import CheckResult


def judge_in_plan(result: CheckResult, script: Path, plan: Plan, *,
                  jobs: int | None = None) -> tuple[CheckResult, dict[str, FileResult]]:
    """`result` (a run made with `reconcile=False`) judged, and the results made for the files of
    `plan` it judged, by real path (for `iter_annotate`'s `made`)."""
    observations = run_observations(result)
    files = files_to_judge(result, str(script.resolve()))
    wanted = {os.path.realpath(f) for f in files}
    inside = [n for n in range(len(plan.files)) if str(plan.real_path(n)) in wanted and n not in plan.problems]
    subplan = Plan(plan.roots, tuple(plan.files[n] for n in inside), tuple(plan.root_of[n] for n in inside),
                   resolved=tuple(str(plan.real_path(n)) for n in inside))
    made = list(annotate.iter_annotate(subplan, jobs=jobs, observations=observations))
    found = {os.path.realpath(f.path) for f in made}
    outside = [Path(f) for f in files if os.path.realpath(f) not in found]
    others = annotate.annotate_paths(outside, jobs=jobs, observations=observations).files if outside else ()
    return judged(result, files, [*made, *others]), {str(subplan.real_path(n)): f for n, f in enumerate(made)}
