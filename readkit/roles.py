"""THE role table: which of the tutorial's packages a PyTorch use belongs to.

The reference, the annotator, the checker and the docs all read this module;
nothing else in readkit decides a role. A role is given to a *qualified torch
name* (``torch.optim.SGD``, ``torch.Tensor.backward``): the longest prefix in
``PREFIX_ROLES`` wins, with the explicit tensor-attribute table
``TENSOR_MEMBER_ROLES`` and the module/optimizer member tables on top.

What this module leaves out: how a name in source code becomes a qualified
name (``readkit.annotate.declare`` records a file's bindings, ``readkit.annotate.evaluate``
follows them; docs/annotate.md, "Resolution") and how a runtime event becomes one
(``readkit.check.instrument``).
"""

from __future__ import annotations

from dataclasses import dataclass

# ----------------------------------------------------------------------------
# The roles


@dataclass(frozen=True)
class Role:
    name: str  # the tag shown to users: "tensor", "nn", "data", ...
    title: str  # one line: what this package is for
    covers: str  # what kind of uses get this role
    reference_step: str | None  # `readkit run-reference --step` that demonstrates it
    color: str  # terminal colour (click.style name); HTML uses the same name


CORE_ROLES: tuple[Role, ...] = (
    Role(
        "tensor",
        "torch as an array library: create, index, compute, move between devices",
        "torch.tensor, torch.randn, x.view, x.mm, x.to(device), torch.device, "
        "torch.from_numpy, x.numpy(), torch.linalg/fft/random, torch.save/load",
        "tensors.view_shares_storage",
        "blue",
    ),
    Role(
        "autograd",
        "the graph and its gradients",
        "torch.autograd.*, x.backward(), .grad, .grad_fn, requires_grad(_), detach, "
        "torch.no_grad, inference_mode, set_grad_enabled, autograd.Function, Variable (legacy)",
        "autograd.backward_of_sum",
        "magenta",
    ),
    Role(
        "nn",
        "layers, losses, containers, init and functional ops",
        "torch.nn.*, torch.nn.functional.*, nn.Module subclasses and their instances "
        "(model(x), .parameters(), .train(), .eval(), .state_dict()), nn.Parameter",
        "nn.linear_layer",
        "green",
    ),
    Role(
        "optim",
        "optimizers and learning-rate schedulers",
        "torch.optim.*, opt.step(), opt.zero_grad(), opt.param_groups, scheduler.step()",
        "optim.train_logistic_regression",
        "yellow",
    ),
    Role(
        "jit",
        "compiling and exporting models",
        "torch.jit.* (deprecated since 2.11), torch.compile, torch.export.*, torch.fx.*, "
        "torch.onnx.export",
        "jit.trace_freezes_branch",
        "cyan",
    ),
)

# Subpackages outside the five core roles are labelled by their own name.
OTHER_ROLES: tuple[Role, ...] = (
    Role("data", "datasets and loaders", "torch.utils.data.*", None, "white"),
    Role("distributed", "multi-process training", "torch.distributed.*", None, "white"),
    Role("amp", "automatic mixed precision", "torch.amp, torch.autocast, torch.cuda.amp", None, "white"),
    Role("cuda", "the CUDA runtime", "torch.cuda.*", None, "white"),
    Role("mps", "the Apple GPU runtime", "torch.mps.*", None, "white"),
    Role("backends", "backend switches", "torch.backends.*", None, "white"),
    Role("profiler", "profiling", "torch.profiler.*, torch.autograd.profiler.*", None, "white"),
    Role("tensorboard", "TensorBoard logging", "torch.utils.tensorboard.*", None, "white"),
    Role("multiprocessing", "process pools sharing tensors", "torch.multiprocessing.*", None, "white"),
    Role("distributions", "probability distributions", "torch.distributions.*", None, "white"),
    Role("hub", "loading published models", "torch.hub.*", None, "white"),
    Role("quantization", "quantized models", "torch.ao.*, torch.quantization.*", None, "white"),
    Role("func", "function transforms", "torch.func.* (vmap, grad, functional_call)", None, "white"),
    Role("testing", "test helpers", "torch.testing.*", None, "white"),
    Role("utils", "other utilities", "torch.utils.* not listed elsewhere", None, "white"),
)

ROLES: dict[str, Role] = {role.name: role for role in CORE_ROLES + OTHER_ROLES}
CORE_ROLE_NAMES: tuple[str, ...] = tuple(role.name for role in CORE_ROLES)

# ----------------------------------------------------------------------------
# Qualified names -> roles. The longest matching dotted prefix wins.

PREFIX_ROLES: dict[str, str] = {
    "torch": "tensor",
    "torch.Tensor": "tensor",
    "torch.linalg": "tensor",
    "torch.fft": "tensor",
    "torch.special": "tensor",
    "torch.random": "tensor",
    "torch.sparse": "tensor",
    "torch.nested": "tensor",
    "torch.masked": "tensor",
    "torch.storage": "tensor",
    "torch.serialization": "tensor",
    # autograd
    "torch.autograd": "autograd",
    "torch.no_grad": "autograd",
    "torch.enable_grad": "autograd",
    "torch.set_grad_enabled": "autograd",
    "torch.is_grad_enabled": "autograd",
    "torch.inference_mode": "autograd",
    "torch.is_inference_mode_enabled": "autograd",
    "torch.utils.checkpoint": "autograd",
    # nn
    "torch.nn": "nn",
    "torch.nn.parallel.DistributedDataParallel": "distributed",
    # optim
    "torch.optim": "optim",
    # jit
    "torch.jit": "jit",
    "torch.compile": "jit",
    "torch.compiler": "jit",
    "torch.export": "jit",
    "torch.fx": "jit",
    "torch.onnx": "jit",
    "torch._dynamo": "jit",
    "torch.package": "jit",
    # others, by subpackage
    "torch.utils": "utils",
    "torch.utils.data": "data",
    "torch.distributed": "distributed",
    "torch.amp": "amp",
    "torch.autocast": "amp",
    "torch.cuda.amp": "amp",
    "torch.cpu.amp": "amp",
    "torch.cuda": "cuda",
    "torch.mps": "mps",
    "torch.backends": "backends",
    "torch.profiler": "profiler",
    "torch.autograd.profiler": "profiler",
    "torch.utils.tensorboard": "tensorboard",
    "torch.multiprocessing": "multiprocessing",
    "torch.distributions": "distributions",
    "torch.hub": "hub",
    "torch.quantization": "quantization",
    "torch.ao": "quantization",
    "torch.func": "func",
    "torch.vmap": "func",
    "torch.testing": "testing",
}

# Members of torch.Tensor that belong to autograd rather than to the array library.
TENSOR_MEMBER_ROLES: dict[str, str] = {
    name: "autograd"
    for name in (
        "backward",
        "grad",
        "grad_fn",
        "requires_grad",
        "requires_grad_",
        "detach",
        "detach_",
        "retain_grad",
        "retains_grad",
        "register_hook",
        "register_post_accumulate_grad_hook",
        "is_leaf",
        "data",  # .data hides the tensor from autograd: a graph operation
        "creator",  # legacy name of grad_fn
    )
}

# Members that make an object's kind visible: a *method name* alone suggests a
# role (evidence "heuristic" when the receiver's origin is unknown). Names
# shared by several kinds (step, zero_grad, to, cuda, eval) are not here:
# they decide nothing without the receiver.
TENSOR_ONLY_METHODS: frozenset[str] = frozenset(
    # Names numpy arrays, pandas objects or str also have (sum, mean, max, item, tolist, squeeze,
    # transpose, repeat, split, ...) are left out on purpose: on an unknown receiver they decide nothing;
    # so is `log` (logger.log(level, msg)).
    """
    view view_as unsqueeze unsqueeze_ squeeze_ permute contiguous t numel numpy size dim ndimension
    expand expand_as masked_fill masked_fill_ index_select narrow chunk gather scatter scatter_ clamp
    clamp_ clamp_min clamp_max fill_ zero_ normal_ uniform_ copy_ add_ sub_ mul_ div_ addmm mm bmm
    matmul topk softmax log_softmax sigmoid relu exp sqrt norm float double half long int bool
    byte type_as new_zeros new_ones new_empty new_full new_tensor is_contiguous is_cuda storage
    data_ptr element_size nelement
    """.split()
)
MODULE_ONLY_METHODS: frozenset[str] = frozenset(
    """
    parameters named_parameters buffers named_buffers children named_children
    modules named_modules load_state_dict register_buffer register_parameter
    register_forward_hook register_forward_pre_hook register_full_backward_hook
    add_module
    """.split()
)
# Every public member of torch.nn.Module (torch 2.13): on a module whose class is not fully known
# (a user subclass, a name heuristic), only these are torch's; anything else is the user's own.
MODULE_MEMBERS: frozenset[str] = frozenset(
    """
    add_module apply bfloat16 buffers children compile cpu cuda double eval extra_repr float
    forward get_buffer get_extra_state get_parameter get_submodule half ipu load_state_dict modules
    mtia named_buffers named_children named_modules named_parameters parameters register_backward_hook
    register_buffer register_forward_hook register_forward_pre_hook register_full_backward_hook
    register_full_backward_pre_hook register_load_state_dict_post_hook register_load_state_dict_pre_hook
    register_module register_parameter register_state_dict_post_hook register_state_dict_pre_hook
    requires_grad_ set_extra_state set_submodule share_memory state_dict to to_empty train type xpu
    zero_grad training
    """.split()
)
OPTIMIZER_MEMBERS: frozenset[str] = frozenset(
    """
    add_param_group load_state_dict state_dict step zero_grad param_groups state defaults
    register_step_post_hook register_step_pre_hook
    """.split()
)
SCHEDULER_MEMBERS: frozenset[str] = frozenset({"get_last_lr", "get_lr", "load_state_dict", "state_dict", "step"})
OPTIMIZER_ONLY_MEMBERS: frozenset[str] = frozenset({"param_groups", "add_param_group"})
SCHEDULER_ONLY_METHODS: frozenset[str] = frozenset({"get_last_lr", "get_lr"})
AUTOGRAD_METHODS: frozenset[str] = frozenset(
    {"backward", "grad_fn", "requires_grad_", "retain_grad", "register_hook", "detach", "detach_"}
)


def role_for(qualname: str) -> str | None:
    """The role of a qualified torch name, or None when it is not torch.

    >>> role_for("torch.optim.SGD"), role_for("torch.Tensor.backward"), role_for("numpy.zeros")
    ('optim', 'autograd', None)
    """
    if qualname != "torch" and not qualname.startswith("torch."):
        return None
    parts = qualname.split(".")
    if len(parts) >= 3 and parts[1] == "Tensor" and parts[2] in TENSOR_MEMBER_ROLES:
        return TENSOR_MEMBER_ROLES[parts[2]]
    for end in range(len(parts), 0, -1):
        role = PREFIX_ROLES.get(".".join(parts[:end]))
        if role is not None:
            return role
    return None  # unreachable: "torch" itself is in the table


def role_names() -> tuple[str, ...]:
    """Every role, core ones first (the order used in summaries and legends)."""
    return tuple(ROLES)
