"""Is a `.cuda()` call guarded by a GPU check? An unguarded `model.cuda()` / `x = x.cuda()`
was written for a GPU machine and fails on any other. Moving it to `.to(device)`, with
`device = torch.device("cuda" if torch.cuda.is_available() else "cpu")`, does the same on
every GPU machine (`"cuda"` is the current device, as for `.cuda()`) and runs on a CPU.
A guarded call (`if args.cuda: x = x.cuda()`, `x.cuda() if use_gpu else x`) already runs on
a CPU as its author meant, and is left alone; so is every call in a file with its own `device`.

`gpu_certain` goes further, for code that can only ever run on a GPU, where a CUDA-only call
is the idiom and no portability note is wanted: a call after a check that leaves when there is
no GPU (`if not torch.cuda.is_available(): raise SystemExit(...)`, `assert
torch.cuda.is_available()`, in an enclosing block), and a call in a function (or at module
level) that starts NCCL, `dist.init_process_group(backend="nccl")`, itself or through a
function of the same file it calls (`setup(rank, world_size)`): NCCL runs only on GPUs. A
backend named by a variable (`backend=args.backend`) may be gloo, on a CPU: no such pass.
"""

from __future__ import annotations

import libcst as cst

from readkit.annotate.rules._context import ancestors, module_of
from readkit.annotate.rules._helpers import keyword, positional
from readkit.annotate.rules.base import RuleContext

GUARD_WORDS = ("cuda", "gpu", "cpu")


def under_cuda_guard(ctx: RuleContext, node: cst.CSTNode) -> bool:
    """Is `node` inside an `if`/`while`/conditional expression/`and`-`or` that tests for a GPU?"""
    for parent in ancestors(ctx, node):
        if isinstance(parent, (cst.If, cst.While, cst.IfExp)) and _mentions_cuda(parent.test):
            return True
        if isinstance(parent, cst.BooleanOperation) and _mentions_cuda(parent):
            return True  # `use_cuda and x.cuda()`
    return False


def binds_own_device_or_cuda(module: cst.Module) -> bool:
    """Does the file use a `device` name of its own, or define a `cuda` function (then
    `x.cuda()` may be that one)?"""
    found = False

    class _Finder(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            nonlocal found
            found = found or node.value == "device"

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            nonlocal found
            found = found or node.name.value == "cuda"

    module.visit(_Finder())
    return found


def movable_arguments(call: cst.Call) -> bool:
    """`x.cuda()` or `x.cuda(non_blocking=True)`: nothing `.to(device, ...)` would not take as it is."""
    return all(arg.keyword is not None and arg.keyword.value == "non_blocking" for arg in call.args)


def _mentions_cuda(expr: cst.CSTNode) -> bool:
    found = False

    class _Words(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            nonlocal found
            found = found or any(word in node.value.lower() for word in GUARD_WORDS)

    expr.visit(_Words())
    return found


# `torch.cuda` calls that fail without a GPU, as statements of their own: run them only on one
GPU_ONLY_CALLS = ("torch.cuda.set_device", "torch.cuda.synchronize")


def gpu_only_statement(ctx: RuleContext, line: cst.SimpleStatementLine) -> bool:
    """`torch.cuda.set_device(args.gpu)` alone on its line (with or without a GPU check around it)."""
    if len(line.body) != 1 or not isinstance(line.body[0], cst.Expr):
        return False
    call = line.body[0].value
    return isinstance(call, cst.Call) and ctx.symbol(call.func) in GPU_ONLY_CALLS


def guarded(line: cst.SimpleStatementLine) -> cst.If:
    """`if torch.cuda.is_available():` around `line` (its comments stay above the `if`)."""
    test = cst.Call(cst.Attribute(cst.Attribute(cst.Name("torch"), cst.Name("cuda")), cst.Name("is_available")))
    body = cst.IndentedBlock(body=[line.with_changes(leading_lines=[])])
    return cst.If(test=test, body=body, leading_lines=line.leading_lines)


# ---------------------------------------------------------------------- code that only runs on a GPU


def gpu_certain(ctx: RuleContext, node: cst.CSTNode, nccl: dict[int, bool]) -> bool:
    """Is `node` under a GPU check, after one that leaves without a GPU, or in NCCL code?
    `nccl`: per function (or module), whether it starts NCCL (the caller's memo, one per file)."""
    if under_cuda_guard(ctx, node) or _after_gpu_exit(ctx, node):
        return True
    scope = next((p for p in ancestors(ctx, node) if isinstance(p, (cst.FunctionDef, cst.Module))), None)
    module = module_of(ctx, node)
    if scope is None or module is None:
        return False
    if id(scope) not in nccl:
        nccl[id(scope)] = _starts_nccl(ctx, scope, _nccl_functions(ctx, module))
    return nccl[id(scope)]


def _after_gpu_exit(ctx: RuleContext, node: cst.CSTNode) -> bool:
    """Does a statement before `node`, in a block around it, leave when there is no GPU?"""
    child = node
    for parent in ancestors(ctx, node):
        body = parent.body if isinstance(parent, (cst.Module, cst.IndentedBlock)) else None
        if isinstance(body, (list, tuple)) and child in body:
            if any(_exits_without_gpu(statement) for statement in body[: body.index(child)]):
                return True
        if isinstance(parent, (cst.FunctionDef, cst.ClassDef)):
            return False  # a check outside the function is not known to run before it
        child = parent
    return False


def _exits_without_gpu(statement: cst.CSTNode) -> bool:
    """`if not torch.cuda.is_available(): raise/return/sys.exit(...)`, `assert torch.cuda.is_available()`."""
    if isinstance(statement, cst.SimpleStatementLine):
        return any(isinstance(s, cst.Assert) and _mentions_cuda(s.test) for s in statement.body)
    if not isinstance(statement, cst.If) or statement.orelse is not None:
        return False
    negative = isinstance(statement.test, (cst.UnaryOperation, cst.Comparison))
    return negative and _mentions_cuda(statement.test) and _leaves(statement.body)


def _leaves(block: cst.BaseSuite) -> bool:
    last = block.body[-1] if block.body else None
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1] if last.body else None
    if isinstance(last, (cst.Raise, cst.Return)):
        return True
    call = last.value if isinstance(last, cst.Expr) else None
    return isinstance(call, cst.Call) and cst.Module(body=[]).code_for_node(call.func) in EXITS


EXITS = ("sys.exit", "exit", "quit", "os._exit")


def _nccl_functions(ctx: RuleContext, module: cst.Module) -> frozenset[str]:
    """The names of the file's top-level functions that start NCCL themselves."""
    return frozenset(f.name.value for f in module.body if isinstance(f, cst.FunctionDef) and _starts_nccl(ctx, f))


def _starts_nccl(ctx: RuleContext, scope: cst.CSTNode, helpers: frozenset[str] = frozenset()) -> bool:
    """Does `scope` (not the functions defined in it) call `init_process_group` with NCCL, or a helper that does?"""
    found = False

    class _Calls(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is scope

        def visit_Call(self, node: cst.Call) -> None:
            nonlocal found
            helper = isinstance(node.func, cst.Name) and node.func.value in helpers
            found = found or helper or _nccl_init(ctx, node)

    scope.visit(_Calls())
    return found


def _nccl_init(ctx: RuleContext, call: cst.Call) -> bool:
    """`dist.init_process_group(backend="nccl")`, `("nccl", ...)`, `(backend=dist.Backend.NCCL)`."""
    if ctx.symbol(call.func) != "torch.distributed.init_process_group":
        return False
    named = keyword(call, "backend")
    given = named if named is not None else next(iter(positional(call)), None)
    value = given.value if given is not None else None
    if isinstance(value, cst.SimpleString):
        return str(value.evaluated_value).lower() == "nccl"
    return isinstance(value, cst.Attribute) and value.attr.value == "NCCL"
