"""What a call is, for the map: the torch names and object types each kind of item is made of,
and the reference step that teaches each kind (`readkit run-reference --step ...`)."""

from __future__ import annotations

from readkit import roles
from readkit.annotate.facts import ValueFact

# Step ids of readkit.reference (tests check that each still exists).
STEPS: dict[str, str | None] = {
    "model": "classic.custom_module_net",
    "loss": "nn.mse_loss",
    "autograd-function": "autograd.custom_relu_function",
    "optimizer": "optim.sgd_optimizer",
    "scheduler": None,
    "grad-scaler": None,
    "loader": None,
    "training-loop": "optim.train_logistic_regression",
    "evaluation": "autograd.no_grad_and_inference_mode",
    "no-grad-update": "classic.autograd_two_layer_net",
    "device": "tensors.legacy_cuda_tensor_type",
    "torch.jit.trace": "jit.trace_freezes_branch",
    "torch.jit.script": "jit.script_keeps_control_flow",
    "torch.export": "jit.export_program",
    "torch.compile": "jit.compile_matches_eager",
}

FUNCTIONAL_LOSSES = frozenset(f"torch.nn.functional.{n}" for n in (
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "cosine_embedding_loss", "margin_ranking_loss",
    "triplet_margin_loss", "ctc_loss", "poisson_nll_loss", "gaussian_nll_loss", "soft_margin_loss",
    "multilabel_soft_margin_loss", "hinge_embedding_loss", "multi_margin_loss"))
CLIPPING = frozenset({"torch.nn.utils.clip_grad_norm_", "torch.nn.utils.clip_grad_value_",
                      "torch.nn.utils.clip_grad_norm", "torch.nn.utils.clip_grad.clip_grad_norm_"})
AUTOCAST = frozenset({"torch.autocast", "torch.amp.autocast", "torch.cuda.amp.autocast", "torch.cpu.amp.autocast",
                      "torch.amp.autocast_mode.autocast"})
GRAD_SCALERS = frozenset({"torch.amp.GradScaler", "torch.cuda.amp.GradScaler", "torch.amp.grad_scaler.GradScaler",
                          "torch.cpu.amp.GradScaler"})
NO_GRAD = frozenset({"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad",
                     "torch.autograd.grad_mode.no_grad", "torch.autograd.grad_mode.inference_mode"})
SAVES = frozenset({"torch.save", "torch.jit.save", "torch.serialization.save"})
LOADS = frozenset({"torch.load", "torch.jit.load", "torch.serialization.load", "torch.hub.load_state_dict_from_url"})
DEVICE_CALLS = frozenset({"torch.device", "torch.cuda.is_available", "torch.backends.mps.is_available",
                          "torch.cuda.set_device", "torch.cuda.device_count", "torch.accelerator.current_accelerator",
                          "torch.accelerator.is_available"})
DISTRIBUTED_EXTRA = frozenset({"torch.nn.DataParallel", "torch.nn.parallel.DataParallel",
                               "torch.multiprocessing.spawn", "torch.utils.data.distributed.DistributedSampler",
                               "torch.utils.data.DistributedSampler"})
BACKWARD = frozenset({"torch.autograd.backward"})
LOADERS = frozenset({"torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"})


def short(qualname: str) -> str:
    """"torch.nn.Linear" -> "nn.Linear"; "torch.optim.Adam" -> "optim.Adam"."""
    return qualname.removeprefix("torch.") if qualname.count(".") > 1 else qualname


def is_ref(fact: ValueFact | None, names: frozenset[str]) -> bool:
    return fact is not None and fact.kind == "ref" and fact.qualname in names


def is_module_type(qualname: str) -> bool:
    """A torch type whose objects are modules (layers, losses, containers, user subclasses)."""
    if not qualname.startswith("torch.nn.") or qualname.startswith(("torch.nn.functional", "torch.nn.init")):
        return False
    last = qualname.rsplit(".", 1)[-1]
    return last[:1].isupper() and last not in ("Parameter", "ParameterList", "ParameterDict")


def is_loss_type(qualname: str) -> bool:
    return is_module_type(qualname) and (qualname.endswith("Loss") or qualname.endswith("._Loss"))


def is_optimizer_type(qualname: str) -> bool:
    last = qualname.rsplit(".", 1)[-1]
    return qualname.startswith("torch.optim.") and not is_scheduler_type(qualname) and last[:1].isupper()


def is_scheduler_type(qualname: str) -> bool:
    last = qualname.rsplit(".", 1)[-1]
    return (qualname.startswith("torch.optim.lr_scheduler.") or qualname == "torch.optim.swa_utils.SWALR") \
        and last[:1].isupper()


def is_dataset_type(qualname: str) -> bool:
    return qualname.startswith("torch.utils.data.") and "Dataset" in qualname


def module_object(fact: ValueFact | None) -> bool:
    return fact is not None and fact.kind == "obj" and is_module_type(fact.qualname)


def optimizer_object(fact: ValueFact | None) -> bool:
    return fact is not None and fact.kind == "obj" and is_optimizer_type(fact.qualname)


def scheduler_object(fact: ValueFact | None) -> bool:
    return fact is not None and fact.kind == "obj" and is_scheduler_type(fact.qualname)


def scaler_object(fact: ValueFact | None) -> bool:
    return fact is not None and fact.kind == "obj" and fact.qualname in GRAD_SCALERS


def tensor_object(fact: ValueFact | None) -> bool:
    return fact is not None and fact.kind in ("obj", "batch") and fact.qualname in (
        "torch.Tensor", "torch.nn.Parameter", "torch.nn.parameter.Parameter")


def role_of(fact: ValueFact | None) -> str | None:
    return roles.role_for(fact.qualname) if fact is not None and fact.kind == "ref" else None
