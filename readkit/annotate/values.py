"""What an expression's value is, as far as the annotator can tell: the abstract values.

A `Value` is one of
- a *name* of a torch API (`REF`): the module `torch.nn`, the class `torch.optim.SGD`,
  the function `torch.randn` — calling it is a use of that API;
- an *object* produced by torch (`OBJ`): a tensor, a module, an optimizer, a loader —
  its methods and operators are uses of its type's API;
- a *container* of tensors (`BATCH`): a batch from a DataLoader, the tuple an LSTM returns —
  indexing or unpacking it yields tensors without any torch call;
- a user *class* deriving from torch (`CLASS`): `class Net(nn.Module)`.

This module holds the torch knowledge about producers: what calling a torch name or
a method returns. It leaves out names and scopes (resolve.py) and the walk (uses.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from readkit import roles


class Kind(Enum):
    REF = "ref"
    OBJ = "obj"
    BATCH = "batch"
    CLASS = "class"
    FUNC = "func"  # a user function or method: calling it runs user code
    TUPLE = "tuple"  # a tuple/list display with known items


@dataclass(frozen=True)
class Value:
    kind: Kind
    qualname: str  # REF: the torch name; OBJ/CLASS: the torch type ("torch.Tensor", "torch.nn.Module")
    evidence: str  # "resolved" | "inferred" | "heuristic"
    user_class: str | None = None  # OBJ/CLASS: the user class; FUNC: the function (a key of the tables)
    items: tuple[Value | None, ...] = ()  # TUPLE: the items; BATCH of pairs: (first, second)

    def weaker(self, evidence: str) -> Value:
        """The same value, but no more certain than `evidence`."""
        order = ("resolved", "inferred", "heuristic")
        if order.index(evidence) > order.index(self.evidence):
            return replace(self, evidence=evidence)
        return self


TENSOR = "torch.Tensor"
MODULE = "torch.nn.Module"
OPTIMIZER = "torch.optim.Optimizer"
SCHEDULER = "torch.optim.lr_scheduler.LRScheduler"
LOADER = "torch.utils.data.DataLoader"
SCRIPT_MODULE = "torch.jit.ScriptModule"
SCRIPT_FUNCTION = "torch.jit.ScriptFunction"
HOOK_HANDLE = "torch.utils.hooks.RemovableHandle"
DYNAMIC = "<dynamic>"  # getattr(nn, name): a member of a torch module chosen at run time
PLAIN_OBJECT = "builtins.object"  # `self` of a user class that does not derive from torch


def tensor(evidence: str = "inferred") -> Value:
    return Value(Kind.OBJ, TENSOR, evidence)


# The legacy typed tensor classes (torch.FloatTensor ...): their instances are tensors.
LEGACY_TENSOR_TYPES: frozenset[str] = frozenset(
    f"torch.{kind}Tensor" for kind in "Float Double Half BFloat16 Byte Char Short Int Long Bool".split())


def family(qualname: str) -> str:
    """The kind of object a torch type makes: tensor, module, optimizer, scheduler, loader, other."""
    if qualname in (TENSOR, "torch.nn.Parameter", "torch.nn.parameter.Parameter", "torch.autograd.Variable"):
        return "tensor"
    if qualname in LEGACY_TENSOR_TYPES:  # t = torch.FloatTensor(1, 5).zero_(); t[0][2] = 1
        return "tensor"
    if qualname.startswith("torch.optim.lr_scheduler.") or qualname == "torch.optim.swa_utils.SWALR":
        return "scheduler"
    if qualname.startswith("torch.optim."):
        return "optimizer"
    if qualname.startswith("torch.nn.") and not qualname.startswith(("torch.nn.functional", "torch.nn.init")):
        return "module"
    if qualname.startswith("torch.utils.data.") and qualname.endswith("DataLoader"):
        return "loader"
    return "other"


def member_symbol(obj: Value, name: str) -> str:
    """The qualified name of member `name` of an object: tensors share torch.Tensor's members."""
    fam = family(obj.qualname)
    owner = {"tensor": TENSOR, "module": MODULE}.get(fam, obj.qualname)
    if fam == "optimizer" and name in ("step", "zero_grad", "param_groups", "state_dict", "add_param_group"):
        owner = obj.qualname if obj.qualname != OPTIMIZER else OPTIMIZER
    return f"{owner}.{name}"


# ----------------------------------------------------------------------------
# Calling a torch name: what comes back

# torch functions that return something other than a tensor.
NON_TENSOR_RESULTS: frozenset[str] = frozenset(
    """
    torch.device torch.dtype torch.Size torch.Generator torch.manual_seed torch.seed torch.initial_seed
    torch.save torch.load torch.is_tensor torch.is_storage torch.numel torch.is_floating_point
    torch.is_complex torch.set_printoptions torch.set_default_dtype torch.get_default_dtype
    torch.set_default_device torch.set_default_tensor_type torch.set_num_threads torch.get_num_threads
    torch.set_grad_enabled torch.is_grad_enabled torch.no_grad torch.enable_grad torch.inference_mode
    torch.use_deterministic_algorithms torch.compile torch.autocast torch.finfo torch.iinfo
    torch.get_rng_state torch.set_rng_state torch.typename torch.is_nonzero torch.equal
    torch.allclose torch.set_float32_matmul_precision torch.float32 torch.cuda.device
    torch.iinfo torch.finfo torch.Stream torch.Event torch.layout torch.memory_format
    """.split()
)
# torch functions returning a tuple of tensors (unpacking them gives tensors).
TUPLE_RESULTS: frozenset[str] = frozenset(
    """
    torch.max torch.min torch.sort torch.topk torch.kthvalue torch.median torch.mode
    torch.split torch.chunk torch.unbind torch.meshgrid torch.broadcast_tensors torch.std_mean
    torch.var_mean torch.unique torch.linalg.eigh torch.linalg.eig torch.linalg.qr torch.linalg.svd
    torch.linalg.slogdet torch.svd torch.qr torch.aminmax torch.frexp torch.lu torch.tensor_split
    torch.hsplit torch.vsplit torch.dsplit torch.where torch.nonzero torch.histogram
    """.split()
)


# jit/export producers: what they return (calling it, or its members, are jit uses).
JIT_PRODUCERS: dict[str, str] = {
    "torch.jit.trace": "torch.jit.ScriptModule", "torch.jit.script": "torch.jit.ScriptModule",
    "torch.jit.load": "torch.jit.ScriptModule", "torch.jit.freeze": "torch.jit.ScriptModule",
    "torch.jit.trace_module": "torch.jit.ScriptModule", "torch.jit.optimize_for_inference": "torch.jit.ScriptModule",
    "torch.export.export": "torch.export.ExportedProgram", "torch.export.load": "torch.export.ExportedProgram",
    "torch.fx.symbolic_trace": "torch.fx.GraphModule",
}
JIT_METHODS: dict[tuple[str, str], str] = {
    ("torch.export.ExportedProgram", "module"): "torch.fx.GraphModule",
    ("torch.export.ExportedProgram", "run_decompositions"): "torch.export.ExportedProgram",
}
JIT_ATTRIBUTES: dict[tuple[str, str], str] = {
    ("torch.export.ExportedProgram", "graph"): "torch.fx.Graph",
    ("torch.export.ExportedProgram", "graph_module"): "torch.fx.GraphModule",
    ("torch.fx.GraphModule", "graph"): "torch.fx.Graph",
    ("torch.jit.ScriptModule", "graph"): "torch.Graph",
}


def jit_call_result(obj: Value) -> Value | None:
    """Calling a scripted/traced function or module, or an exported GraphModule: its output."""
    return tensor("heuristic") if obj.qualname in (SCRIPT_MODULE, SCRIPT_FUNCTION, "torch.fx.GraphModule") else None


# Properties of jit/export/fx classes (torch 2.13): reading them runs torch code; their plain
# attributes (node.op, node.target, node.meta) do not.
JIT_PROPERTIES: dict[str, frozenset[str]] = {
    "Node": frozenset("all_input_nodes args kwargs next prev stack_trace".split()),
    "Graph": frozenset("nodes owning_module".split()),
    "GraphModule": frozenset("code graph".split()),
    "ExportedProgram": frozenset("call_spec constants dialect example_inputs graph graph_module graph_signature "
                                 "module_call_graph range_constraints state_dict tensor_constants verifier".split()),
    "ScriptModule": frozenset("code code_with_constants graph inlined_graph original_name".split()),
}


def jit_property(qualname: str, name: str) -> bool:
    return is_jit(qualname) and name in JIT_PROPERTIES.get(qualname.rsplit(".", 1)[-1], frozenset())


def is_jit(qualname: str) -> bool:
    return qualname.startswith(("torch.jit.", "torch.export.", "torch.fx."))


def call_result(ref: str, evidence: str) -> Value | None:
    """The value of `ref(...)` for a torch name `ref`."""
    last = ref.rsplit(".", 1)[-1]
    fam = family(ref)
    if ref in NON_TENSOR_RESULTS or roles.role_for(ref) in ("cuda", "backends", "distributed", "hub"):
        return None
    if ref in ("torch.nn.Parameter", "torch.nn.parameter.Parameter", "torch.autograd.Variable") or \
            ref in LEGACY_TENSOR_TYPES:
        return Value(Kind.OBJ, TENSOR, evidence)
    if last[:1].isupper():  # a class: its instance
        return Value(Kind.OBJ, ref, evidence)
    owner = ref.rsplit(".", 1)[0]
    if last.startswith("from_") and owner.rsplit(".", 1)[-1][:1].isupper():
        # nn.Embedding.from_pretrained(w), torch.Tensor.from_...: a classmethod constructor
        return Value(Kind.OBJ, TENSOR if family(owner) == "tensor" else owner, evidence)
    if ref in JIT_PRODUCERS:
        return Value(Kind.OBJ, JIT_PRODUCERS[ref], evidence)
    if last == DYNAMIC:  # getattr(nn, name)(...), getattr(torch.optim, name)(...)
        generic = {"module": MODULE, "optimizer": OPTIMIZER, "scheduler": SCHEDULER}.get(fam)
        return Value(Kind.OBJ, generic, evidence) if generic else None
    if ref == "torch.utils.data.random_split":
        return Value(Kind.BATCH, "torch.utils.data.Subset", evidence)
    if ref in TUPLE_RESULTS:
        return Value(Kind.BATCH, TENSOR, evidence)
    if fam == "module" and ref.startswith("torch.nn.utils.") and not ref.startswith("torch.nn.utils.clip_grad"):
        return None
    if ref.startswith(("torch.nn.functional.", "torch.nn.init.", "torch.nn.utils.clip_grad", "torch.linalg.",
                       "torch.fft.", "torch.special.", "torch.autograd.grad")):
        return Value(Kind.OBJ, TENSOR, evidence) if not ref.startswith("torch.autograd.grad") else Value(
            Kind.BATCH, TENSOR, evidence)
    if ref.count(".") == 1:  # torch.randn, torch.cat, torch.from_numpy ...
        return Value(Kind.OBJ, TENSOR, evidence)
    return None


# Tensor members whose value is not a tensor.
TENSOR_NON_TENSOR_MEMBERS: frozenset[str] = frozenset(
    """
    item tolist numpy size dim ndimension numel nelement element_size shape dtype device is_cuda
    is_leaf requires_grad data_ptr backward is_contiguous storage layout ndim get_device
    type stride is_floating_point is_sparse untyped_storage grad_fn names
    """.split()
)
TENSOR_TUPLE_METHODS: frozenset[str] = frozenset(
    "max min sort topk kthvalue median mode split chunk unbind std_mean var_mean unique aminmax".split()
)
# Module methods returning the module itself (model = Net().to(device)).
MODULE_SELF_METHODS: frozenset[str] = frozenset(
    "to cuda cpu train eval float double half bfloat16 requires_grad_ share_memory type apply zero_grad_".split()
)
# Module methods/attributes yielding tensors (parameters() yields Parameters).
MODULE_TENSOR_ITERATORS: frozenset[str] = frozenset({"parameters", "buffers"})


def method_result(obj: Value, name: str, args_count: int) -> Value | None:
    """The value of `obj.name(...)` for an object of a torch type."""
    fam = family(obj.qualname)
    ev = "inferred" if obj.evidence == "resolved" else obj.evidence
    if name.startswith("register_") and name.endswith("hook") and fam in ("tensor", "module"):
        return Value(Kind.OBJ, HOOK_HANDLE, ev)  # h = m.register_forward_hook(f); h.remove()
    if (obj.qualname, name) in JIT_METHODS:
        return Value(Kind.OBJ, JIT_METHODS[(obj.qualname, name)], ev)
    if fam == "tensor":
        if name == "type" and args_count:
            return Value(Kind.OBJ, TENSOR, ev)
        if name in ("max", "min") and args_count == 0:
            return Value(Kind.OBJ, TENSOR, ev)
        if name in TENSOR_TUPLE_METHODS:
            return Value(Kind.BATCH, TENSOR, ev)
        if name in TENSOR_NON_TENSOR_MEMBERS:
            return None
        return Value(Kind.OBJ, TENSOR, ev)
    if fam == "module":
        if name == "forward":  # loss.forward(out, y), model.forward(x): what calling the module returns
            return call_of_instance(replace(obj, evidence=ev))
        if name in MODULE_SELF_METHODS:
            return replace(obj, evidence=ev)
        if name in MODULE_TENSOR_ITERATORS:
            return Value(Kind.BATCH, TENSOR, ev)
        if name in ("children", "modules"):
            return Value(Kind.BATCH, MODULE, ev)
        if name == "state_dict":  # name -> tensor; iterating gives names, hence the pair
            return Value(Kind.BATCH, "dict", ev, items=(None, Value(Kind.OBJ, TENSOR, ev)))
        if name in ("named_parameters", "named_buffers"):
            return Value(Kind.BATCH, TENSOR, ev, items=(None, Value(Kind.OBJ, TENSOR, ev)))
        if name in ("named_children", "named_modules"):
            return Value(Kind.BATCH, MODULE, ev, items=(None, Value(Kind.OBJ, MODULE, ev)))
    if obj.qualname.startswith("torch.distributions.") and name in DISTRIBUTION_TENSORS:
        return Value(Kind.OBJ, TENSOR, ev)
    if obj.qualname.endswith("GradScaler") and name == "scale":
        return Value(Kind.OBJ, TENSOR, ev)
    return None


DISTRIBUTION_TENSORS: frozenset[str] = frozenset(
    "sample rsample log_prob entropy cdf icdf sample_n perplexity".split())


def attribute_value(obj: Value, name: str) -> Value | None:
    """The value of `obj.name` (not called) for an object of a torch type."""
    fam = family(obj.qualname)
    ev = "inferred" if obj.evidence == "resolved" else obj.evidence
    if fam == "tensor":
        if name in ("grad", "data", "T", "mT", "H", "real", "imag"):
            return Value(Kind.OBJ, TENSOR, ev)
        return None
    if (obj.qualname, name) in JIT_ATTRIBUTES:
        return Value(Kind.OBJ, JIT_ATTRIBUTES[(obj.qualname, name)], ev)
    if fam == "loader" and name == "dataset":
        return obj.items[0] if obj.items else Value(Kind.OBJ, "torch.utils.data.Dataset", ev)
    if fam == "module" and name in ("weight", "bias", "weight_ih_l0", "weight_hh_l0", "running_mean", "running_var"):
        return Value(Kind.OBJ, TENSOR, ev)
    return None


def batch_attribute(batch: Value, name: str) -> Value | None:
    """`top = x.topk(k); top.values`: the fields of torch.return_types are tensors."""
    if batch.kind is Kind.BATCH and batch.qualname == TENSOR and name in ("values", "indices"):
        return tensor(batch.evidence)
    return None


def call_of_instance(obj: Value) -> Value | None:
    """The value of `obj(...)`: a module returns its output, a loss a tensor."""
    if family(obj.qualname) != "module":
        return None
    last = obj.qualname.rsplit(".", 1)[-1]
    if last in ("LSTM", "GRU", "RNN", "MultiheadAttention", "LSTMCell"):
        return Value(Kind.BATCH, TENSOR, "inferred")
    return Value(Kind.OBJ, TENSOR, "inferred")
