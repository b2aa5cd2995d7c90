"""Annotator precision/recall against runtime ground truth, on the evaluation corpus (fixtures/eval).

    python tests/benchmarks/eval_annotate.py [--details] [--only NAME ...] [--jobs N] [--json FILE] [--no-check]
                                             [--corpus DIR]
    python tests/benchmarks/eval_annotate.py --selftest     (the oracle against fixtures/eval/_oracle_selftest.py)

For each corpus entry (a script `NAME.py`, a package `NAME/` with `__main__.py`, or a notebook
`NAME.ipynb` run as its joined code cells), the independent oracle (tests/benchmarks/_oracle.py, in a
child process) records the (file, line, role) triples where
the line's own code directly used a torch API of that role, and which lines ran. The annotator's
predictions (readkit.annotate.annotate_paths) are compared on the lines that ran:
  precision = predicted (line, role) pairs on executed lines that the ground truth confirms / all of them
  recall    = ground-truth (line, role) pairs that the annotator predicted / all of them
Lines are compared per statement (a multi-line statement counts once, at its first line), because
Python reports a multi-line call at the line of whichever sub-expression runs. Import statements are
left out on both sides. When `readkit.check.check_target` exists, its numbers and every line where its
ground truth disagrees with the oracle's are printed too: one of the two is wrong.

This file is not collected by pytest (tests/benchmarks/ is for measurements); it never changes readkit.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import _eval_core as core
from _eval_checker import CheckerView, run_checker
from _eval_core import (
    TARGET_PRECISION, TARGET_RECALL, Entry, Predictions, Score, SourceMap, Truth, annotate, discover, rel, run_oracles,
    score, source_map, truth_of, use_corpus,
)

# ----------------------------------------------------------------------------
# Report


def pct(value: float) -> str:
    return f"{value:.3f}"


def print_table(rows: list[tuple[str, Score, str]], title: str) -> None:
    print(f"\n{title:<26} {'truth':>5} {'pred':>5} {'TP':>5} {'FP':>4} {'FN':>4} {'prec':>6} {'recall':>6}  note")
    for name, s, note in rows:
        truth, pred = len(s.tp) + len(s.fn), len(s.tp) + len(s.fp)
        print(f"{name:<26} {truth:>5} {pred:>5} {len(s.tp):>5} {len(s.fp):>4} {len(s.fn):>4} "
              f"{pct(s.precision):>6} {pct(s.recall):>6}  {note}")


OPERATOR_METHODS = frozenset(
    "add sub mul div truediv floordiv matmul pow neg rsub radd rmul rdiv eq ne lt le gt ge and or xor invert "
    "mod remainder abs __getitem__ __setitem__ __len__ __iter__ __format__ __repr__ __bool__ __float__ __int__ "
    "__index__ __contains__ __hash__ __array__ iadd isub imul idiv add_ sub_ mul_ div_".split()
)


def likely_cause_fn(code: str, symbols: set[str]) -> str:
    """A first guess at why the annotator missed a ground-truth pair, from what ran there."""
    leaves = {symbol.rsplit(".", 1)[-1] for symbol in symbols}
    if symbols == {"torch.nn.modules.module.Module.__init__"} and "super" in code:
        return "super().__init__() of an nn.Module subclass"
    if any(".FunctionCtx." in symbol for symbol in symbols):
        return "ctx.saved_tensors / ctx.needs_input_grad in a custom autograd.Function"
    if "torch.nn.modules.module.Module" in symbols:
        return "construction of an nn.Module subclass not followed (class held in a variable, ...)"
    if all(symbol.startswith("torch.Tensor.") for symbol in symbols) and leaves <= OPERATOR_METHODS:
        return "operators / indexing / len / format on a tensor whose origin was not followed"
    if all(symbol.startswith("torch.Tensor.") for symbol in symbols):
        return "tensor methods on a value whose origin was not followed"
    if any("_wrapped_call_impl" in symbol for symbol in symbols):
        return "call of a module whose origin was not followed"
    methods = {s.rsplit(".", 1)[-1] for s in symbols if s.startswith("torch.nn.modules.module.Module.")}
    if methods - {"__getattr__", "__init__"}:
        return "nn.Module methods on an object whose origin was not followed"
    if any(symbol.startswith(("torch.export", "torch.fx", "torch.jit", "torch.compiler")) for symbol in symbols):
        return "jit objects (ExportedProgram, GraphModule, scripted functions) not followed"
    return "other: " + ", ".join(sorted(leaves))


def likely_cause_fp(details: list[str], soft: bool) -> str:
    if soft:
        return "access to a registered submodule/parameter counted as nn (the oracle calls this soft)"
    evidence = sorted({d.split(" ", 1)[0] for d in details})
    rules = sorted({d.rsplit("[", 1)[-1].rstrip("]") for d in details})
    return f"{'/'.join(evidence)} annotation by {', '.join(rules)} on a line that did not use that role"


def print_evidence(total: Score, preds: Predictions) -> None:
    """Precision by the strongest evidence behind each predicted pair (resolved > inferred > heuristic)."""
    rank = ("resolved", "inferred", "heuristic")
    right: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    for triple in total.tp | total.fp:
        kinds = {detail.split(" ", 1)[0] for detail in preds.detail[triple]}
        best = next((kind for kind in rank if kind in kinds), "?")
        (right if triple in total.tp else wrong)[best] += 1
    cells = [f"{kind} {right[kind]}/{right[kind] + wrong[kind]}" for kind in rank if right[kind] + wrong[kind]]
    print("precision by strongest evidence: " + ", ".join(cells))


def print_details(total: Score, truth: Truth, preds: Predictions, maps: dict[str, SourceMap]) -> None:
    print("\nFALSE POSITIVES (annotated, ran, but the line did not do that role), by likely cause")
    groups: dict[str, list[str]] = defaultdict(list)
    for t in sorted(total.fp):
        cause = likely_cause_fp(preds.detail[t], t in truth.soft)
        groups[cause].append(f"FP {t[0]}:{t[1]} [{t[2]}]  {maps[t[0]].code(t[1])}  <- {'; '.join(preds.detail[t])}")
    print_groups(groups)
    print("\nFALSE NEGATIVES (the line did that role when it ran; not annotated), by likely cause")
    groups = defaultdict(list)
    for t in sorted(total.fn):
        code = maps[t[0]].code(t[1])
        cause = likely_cause_fn(code, truth.symbols[t])
        groups[cause].append(f"FN {t[0]}:{t[1]} [{t[2]}]  {code}  <- ran: {', '.join(sorted(truth.symbols[t]))}")
    print_groups(groups)


def print_groups(groups: dict[str, list[str]]) -> None:
    for cause, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        print(f"  {cause} ({len(items)})")
        for item in items:
            print(f"    {item}")


def print_checker(views: dict[str, CheckerView | str], truth: Truth, maps: dict[str, SourceMap]) -> None:
    print("\nCHECKER (readkit.check.check_target) beside the oracle")
    for name, view in views.items():
        if isinstance(view, str):
            print(f"  {name}: {view}")
            continue
        files = {t[0] for t in view.triples} | {t[0] for t in truth.triples if t[0].startswith(name)}
        oracle = {t for t in truth.triples if t[0] in files}
        done = view.verdicts["confirmed"] + view.verdicts["refuted"]
        print(f"  {name}: status {view.status}; annotations confirmed {view.verdicts['confirmed']}/{done} "
              f"({pct(view.verdicts['confirmed'] / max(1, done))}), not reached {view.verdicts['not-reached']}, "
              f"missed {view.missed}; ground truth: oracle {len(oracle)} pairs, checker {len(view.triples)}")
        for t in sorted(oracle - view.triples):
            print(f"    only oracle  {t[0]}:{t[1]} [{t[2]}]  {maps[t[0]].code(t[1])}  ({', '.join(sorted(truth.symbols[t]))})")
        for t in sorted(view.triples - oracle):
            print(f"    only checker {t[0]}:{t[1]} [{t[2]}]  {maps[t[0]].code(t[1])}")
        for t in sorted(view.refuted & oracle):
            print(f"    checker refutes, oracle confirms {t[0]}:{t[1]} [{t[2]}]  {maps[t[0]].code(t[1])}")


def merge_truths(truths: list[Truth]) -> Truth:
    merged = Truth(set(), set(), set(), defaultdict(set), None, 0.0)
    for truth in truths:
        merged.triples |= truth.triples
        merged.soft |= truth.soft
        merged.executed |= truth.executed
        for key, symbols in truth.symbols.items():
            merged.symbols[key] |= symbols
        merged.seconds += truth.seconds
    return merged


def expected_roles(smap: SourceMap) -> dict[int, tuple[set[str], set[str]]]:
    """`# oracle: nn, tensor` / `# oracle: soft nn` / `# oracle: -` comments of the self-test file."""
    expected: dict[int, tuple[set[str], set[str]]] = {}
    for number, text in enumerate(smap.lines, start=1):
        if "# oracle:" in text:
            spec = text.split("# oracle:", 1)[1].split("(", 1)[0].strip()
            words = [w.strip() for w in spec.split(",") if w.strip() not in ("", "-")]
            expected[number] = ({w for w in words if not w.startswith("soft ")},
                                {w[5:] for w in words if w.startswith("soft ")})
    return expected


def selftest(timeout: float) -> int:
    path = core.CORPUS / "_oracle_selftest.py"
    entry = Entry(path.stem, str(path), False, (path,))
    smap = source_map(path)
    truth = truth_of(run_oracles([entry], 1, timeout)[0], {rel(path): smap})
    wrong = 0
    for line, (strict, soft) in sorted(expected_roles(smap).items()):
        got = {t[2] for t in truth.triples if t[1] == line}
        got_soft = {t[2] for t in truth.soft if t[1] == line}
        if (got, got_soft) != (strict, soft):
            wrong += 1
            print(f"  line {line}: expected {sorted(strict)} soft {sorted(soft)}, oracle recorded "
                  f"{sorted(got)} soft {sorted(got_soft)}  {smap.code(line)}")
    print(f"oracle self-test: {len(expected_roles(smap)) - wrong} lines right, {wrong} wrong"
          + (f"; target error: {truth.error}" if truth.error else ""))
    return 1 if wrong or truth.error else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--details", action="store_true", help="list every false positive and false negative")
    parser.add_argument("--only", nargs="*", default=None, help="corpus entries to run (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="oracle runs in parallel")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per oracle run")
    parser.add_argument("--json", dest="json_out", help="also write the numbers to this file")
    parser.add_argument("--no-check", action="store_true", help="do not run readkit.check beside the oracle")
    parser.add_argument("--corpus", type=Path, default=core.CORPUS, help="a folder of entries (default: fixtures/eval)")
    parser.add_argument("--selftest", action="store_true", help="check the oracle against fixtures/eval/_oracle_selftest.py")
    opts = parser.parse_args(argv)
    use_corpus(opts.corpus)
    if opts.selftest:
        return selftest(opts.timeout)
    started = time.perf_counter()
    entries = [e for e in discover(core.CORPUS) if opts.only is None or e.name in opts.only]
    maps = {rel(path): source_map(path) for entry in entries for path in entry.files}
    raws = run_oracles(entries, opts.jobs, opts.timeout)
    truths = [truth_of(raw, maps) for raw in raws]
    try:
        preds = annotate(entries, maps)
    except Exception as exc:  # no annotator yet: still show what the ground truth holds
        print(f"annotator unavailable: {type(exc).__name__}: {exc}")
        preds = Predictions(set(), defaultdict(list), [])
    scores = [score(entry, truth, preds) for entry, truth in zip(entries, truths)]
    report(entries, truths, scores, preds, maps, opts, started)
    return 0


def report(entries: list[Entry], truths: list[Truth], scores: list[Score], preds: Predictions,
           maps: dict[str, SourceMap], opts: argparse.Namespace, started: float) -> None:
    total = Score()
    for s in scores:
        total.add(s)
    rows = [(e.name, s, f"{t.seconds:.1f}s" + (f"  TARGET FAILED: {t.error}" if t.error else ""))
            for e, s, t in zip(entries, scores, truths)]
    print_table(rows, "entry")
    roles = sorted({t[2] for t in total.tp | total.fp | total.fn})
    print_table([(role, total.only(role), "") for role in roles], "role")
    lenient = Score()
    for entry, truth in zip(entries, truths):
        lenient.add(score(entry, Truth(truth.triples | truth.soft, set(), truth.executed, truth.symbols, None, 0.0), preds))
    print_table([("OVERALL", total, f"targets: precision >= {TARGET_PRECISION}, recall >= {TARGET_RECALL}"),
                 ("OVERALL, soft counted", lenient, "registered submodule/parameter access counted as nn")], "")
    print_evidence(total, preds)
    print(f"predictions on lines that did not run: {total.not_reached}; annotator file errors: {len(preds.file_errors)}")
    for error in preds.file_errors:
        print(f"  {error}")
    merged = merge_truths(truths)
    if opts.details:
        print_details(total, merged, preds, maps)
    if not opts.no_check:
        with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:  # each check runs its own child
            views = list(pool.map(lambda e: run_checker(e, maps), entries))
        print_checker({e.name: view for e, view in zip(entries, views)}, merged, maps)
    print(f"\n{len(entries)} entries, {len(merged.triples)} ground-truth pairs, wall {time.perf_counter() - started:.1f}s")
    if opts.json_out:
        write_json(opts.json_out, entries, scores, total, roles)


def write_json(path: str, entries: list[Entry], scores: list[Score], total: Score, roles: list[str]) -> None:
    numbers = lambda s: {"tp": len(s.tp), "fp": len(s.fp), "fn": len(s.fn), "precision": s.precision, "recall": s.recall}  # noqa: E731
    data = {
        "overall": numbers(total),
        "roles": {role: numbers(total.only(role)) for role in roles},
        "entries": {e.name: numbers(s) for e, s in zip(entries, scores)},
        "false_positives": [list(t) for t in sorted(total.fp)],
        "false_negatives": [list(t) for t in sorted(total.fn)],
    }
    Path(path).write_text(json.dumps(data, indent=2), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
