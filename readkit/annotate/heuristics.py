"""The last resort: when a value's origin is unknown, what its *name* or a *method name* suggests.

Everything decided here carries evidence "heuristic". The method-name sets come from
readkit.roles (one fact in one place); this module only adds the receiver-name patterns
of untyped real-world code (`def train(model, optimizer, criterion, loader)`).
"""

from __future__ import annotations

import functools
import re

from readkit import roles
from readkit.annotate import values
from readkit.annotate.values import Kind, Value

# Libraries whose every object is known not to be torch (what `np.` reaches is numpy's). Not listed:
# the torch ecosystem (torchvision, timm, transformers ... return modules) and unknown libraries.
NON_TORCH_LIBRARIES: frozenset[str] = frozenset(
    """
    numpy math cmath random os sys json re time datetime collections itertools functools pathlib logging
    argparse string statistics pickle csv copy glob shutil subprocess typing dataclasses enum io struct
    scipy pandas matplotlib PIL cv2 sklearn skimage imageio h5py yaml tqdm requests
    """.split()
)

# Containers that index and iterate to modules.
INDEXABLE_MODULES: frozenset[str] = frozenset({"Sequential", "ModuleList", "ModuleDict"})

# Methods called on a loader batch that only make sense when the batch is one tensor.
TENSOR_LIKE_METHODS: frozenset[str] = roles.TENSOR_ONLY_METHODS | frozenset({"to", "cuda", "cpu"})

_NAME_KINDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(lr_)?sched(uler)?(_[a-zA-Z]{1,3})?$|^\w+_sched(uler)?$"), values.SCHEDULER),
    # optimizer, opt, optimizerD, opt_G, optim_g, g_optimizer -- not opts, options, opt_level
    (re.compile(r"^(optimizer|optim|opt)([A-Z]\w{0,2}|_[a-zA-Z]{1,3})?$|^\w+_(optimizer|optim)$"), values.OPTIMIZER),
    (re.compile(r"^(\w+_)?(train|val|valid|test|eval)?_?(data)?loader$|^(train_|val_|test_)?dl$"), values.LOADER),
    (re.compile(r"^(model|module|net|network|generator|discriminator|encoder|decoder|classifier|backbone|criterion|"
                r"crit|loss_fn|loss_func|lossfn|loss_function)$|^(net|model)([A-Z0-9]\w{0,2}|_[a-zA-Z]{1,3})$|"
                r"^\w+_model$"), values.MODULE),
)
_NOT_AN_OBJECT = ("_name", "_path", "_fn_name", "_type", "_cls", "_class", "_config", "_cfg", "_dir", "_file",
                  "_url", "_id", "_args", "_kwargs", "_size", "_str", "_list", "_dict", "_state", "_version", "_fn")


@functools.cache
def value_from_name(name: str) -> Value | None:
    """A parameter or variable of unknown origin whose name says what it holds."""
    if name.endswith(_NOT_AN_OBJECT) and name != "loss_fn":
        return None
    for pattern, qualname in _NAME_KINDS:
        if pattern.match(name):
            return Value(Kind.OBJ, qualname, "heuristic")
    return None


def result_of_unknown_method(name: str) -> Value | None:
    """`x.view(...)` on an unknown `x`: a torch-only tensor method returns a tensor."""
    if name in roles.TENSOR_ONLY_METHODS and name not in values.TENSOR_NON_TENSOR_MEMBERS:
        return values.tensor("heuristic")
    if name in ("detach", "detach_", "requires_grad_"):  # autograd's tensor-only methods return the tensor
        return values.tensor("heuristic")
    return None


# Member tables of roles.py and the torch class whose member each name is taken to be.
_ONLY_MEMBERS = (
    (roles.TENSOR_ONLY_METHODS, "torch.Tensor"),
    (roles.AUTOGRAD_METHODS, "torch.Tensor"),
    (roles.MODULE_ONLY_METHODS, "torch.nn.Module"),
    (roles.OPTIMIZER_ONLY_MEMBERS, "torch.optim.Optimizer"),
    (roles.SCHEDULER_ONLY_METHODS, "torch.optim.lr_scheduler.LRScheduler"),
)


def unknown_receiver_role(method: str, receiver_name: str | None) -> tuple[str, str] | None:
    """(role, symbol) for `receiver.method(...)` when the receiver's origin is unknown; the role
    comes from the role table like every other (`torch.Tensor.backward` -> autograd)."""
    for members, owner in _ONLY_MEMBERS:
        if method in members:
            symbol = f"{owner}.{method}"
            role = roles.role_for(symbol)
            return (role, symbol) if role is not None else None
    return None


# Methods numpy/pandas share with tensors: decisive only on a receiver named like a loss.
_LOSS_NAME = re.compile(r"^(\w+_)?(loss|losses_sum|err|error|cost)(_\w+)?$|^loss[A-Z_]\w*$|^err[A-Z]\w*$")
_SHARED_TENSOR_METHODS = frozenset({"item", "sum", "mean", "tolist", "max", "min", "squeeze", "abs"})


def tensor_by_name(receiver: str, method: str) -> bool:
    """`loss.item()` where `loss` comes from an unknown call: the name and method together say tensor."""
    return method in _SHARED_TENSOR_METHODS and bool(_LOSS_NAME.match(receiver))
