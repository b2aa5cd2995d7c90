"""Origins that real third-party code reaches through containers, classmethods, registries,
getattr, jit objects and hook handles (each a false negative found on held-out code)."""

from __future__ import annotations

from tests.annotate._helpers import roles_by_line, uses


def test_module_list_elements_keep_their_class_through_index_and_attribute() -> None:
    code = """
        import torch.nn as nn

        class Attention(nn.Module):
            def forward(self, x):
                return x

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.attn = Attention()

        class GPT(nn.Module):
            def __init__(self):
                super().__init__()
                self.h = nn.ModuleList([Block() for _ in range(2)])
                self.seq = nn.Sequential(Block(), Block())

        model = GPT()
        attn = model.h[0].attn
        attn(x)
        model.seq[1].attn(x)
    """
    found = uses(code)
    assert (21, "nn", "inferred", "torch.nn.Module.__call__") in found
    assert (22, "nn", "inferred", "torch.nn.Module.__call__") in found


def test_classmethod_constructor_of_a_torch_class_gives_its_instance() -> None:
    code = """
        import torch
        import torch.nn as nn
        frozen = nn.Embedding.from_pretrained(torch.randn(3, 4))
        frozen(i)
    """
    assert (5, "nn", "inferred", "torch.nn.Module.__call__") in uses(code)


def test_registry_dict_of_module_classes_constructs_modules() -> None:
    code = """
        import torch.nn as nn

        class MLP(nn.Module):
            pass

        class CNN(nn.Module):
            pass

        MODELS = {"mlp": MLP, "cnn": CNN}
        model = MODELS[name](3, 4)
        model(x)
        plain = {"a": 1, "b": MLP}
        plain[k](x)
    """
    found = roles_by_line(code)
    assert found[11] == {"nn"} and found[12] == {"nn"}
    assert 14 not in found  # a dict of mixed values is not a registry of modules


def test_getattr_of_a_torch_module_reads_a_member_of_that_module() -> None:
    code = """
        from torch import optim
        opt_cls = getattr(optim, cfg["opt"])
        opt = opt_cls(params, lr=0.1)
        opt.step()
        adam = getattr(optim, "Adam")
    """
    found = uses(code)
    assert (3, "optim", "inferred", "torch.optim.<dynamic>") in found
    assert roles_by_line(code)[5] == {"optim"}
    assert (6, "optim", "inferred", "torch.optim.Adam") in found


def test_jit_objects_scripted_functions_traced_modules_and_exported_programs() -> None:
    code = """
        import torch

        @torch.jit.script
        def clipped(x: torch.Tensor) -> torch.Tensor:
            return x.clamp(max=1.0)

        clipped(t)
        traced = torch.jit.trace(model, example)
        traced(example)
        exported = torch.export.export(model, (example,))
        exported.module()(example)
        n = len(list(exported.graph.nodes))
    """
    found = roles_by_line(code)
    assert found[8] == {"jit"}
    assert found[10] == {"nn"}  # a traced module is an nn.Module: calling it is Module.__call__
    assert found[12] == {"jit"}
    assert found[13] == {"jit"}


def test_hook_handle_remove_is_a_utils_use() -> None:
    code = """
        import torch.nn as nn
        m = nn.Linear(2, 2)
        h = m.register_forward_hook(f)
        h.remove()
    """
    assert (5, "utils", "inferred", "torch.utils.hooks.RemovableHandle.remove") in uses(code)


def test_function_instance_call_is_autograd() -> None:
    code = """
        import torch

        class MyReLU(torch.autograd.Function):
            def forward(self, x):
                return x.clamp(min=0)

        relu = MyReLU()
        relu(x)
    """
    assert roles_by_line(code)[9] == {"autograd"}


def test_named_tuple_results_and_state_dict_values_are_tensors() -> None:
    code = """
        import torch
        probs = torch.softmax(logits, dim=-1)
        top = probs.topk(3)
        top.values.tolist()
        state = model_a.state_dict()
        state["k"].abs()
    """
    found = uses(code)
    assert (5, "tensor", "inferred", "torch.Tensor.tolist") in found
    assert any(u[0] == 7 and u[3] == "torch.Tensor.abs" and u[2] != "heuristic" for u in found) or \
        (7, "tensor", "heuristic", "torch.Tensor.abs") in found


def test_class_passed_to_a_constructor_or_held_in_a_variable_constructs_modules() -> None:
    code = """
        import torch.nn as nn

        class BasicBlock(nn.Module):
            pass

        class ResNet(nn.Module):
            def __init__(self, block, num_blocks):
                super().__init__()
                self.layer = block(4, 4)

        net = ResNet(BasicBlock, [2, 2])
        model_cls = BasicBlock
        m = model_cls()
        REGISTRY = {"mlp": BasicBlock, "linear": nn.Linear}
        REGISTRY[name](3, 4)(x)
    """
    found = roles_by_line(code)
    assert found[10] == {"nn"} and found[14] == {"nn"} and found[16] == {"nn"}
    assert (16, "nn", "inferred", "torch.nn.Module.__call__") in uses(code)


def test_argument_rebound_from_the_function_itself_is_solved_as_a_fixpoint() -> None:
    code = """
        import torch

        def mixup(x, lam):
            return lam * x + (1 - lam) * x.flip(0), lam

        def to_array(a):
            return a.numpy()

        for step in range(3):
            inputs = torch.randn(4, 2)
            inputs, lam = mixup(inputs, 0.5)
        z = torch.randn(3)
        z = to_array(z)
        print(z + 1)
    """
    found = uses(code)
    assert (5, "tensor", "inferred", "torch.Tensor.__mul__") in found
    assert 15 not in roles_by_line(code)  # to_array(z) is numpy's: the assumption "z is a tensor" fails


def test_lambda_parameters_learn_from_calls_and_any_tensor_argument_counts() -> None:
    code = """
        import torch
        square = lambda v: v * v
        print(square(3), square(torch.ones(2)).tolist())

        def scale(x, k):
            return x * k

        scale(2, 3)
        scale(torch.ones(2), 3)
    """
    found = uses(code)
    assert (3, "tensor", "inferred", "torch.Tensor.__mul__") in found
    assert (7, "tensor", "inferred", "torch.Tensor.__mul__") in found


def test_method_parameters_learn_from_calls_on_instances_and_in_comprehensions() -> None:
    code = """
        import torch
        import torch.nn as nn

        class GPT(nn.Module):
            def generate(self, idx, n):
                for _ in range(n):
                    idx_cond = idx[:, -4:]
                    idx = torch.cat((idx, idx_cond), dim=1)
                return idx

        class Meter:
            def update(self, val):
                self.total = val * 2

        def run(cfg, x):
            return x.shape[1]

        model = GPT()
        model.generate(torch.zeros(1, 1), 3)
        Meter().update(torch.ones(2))
        x = torch.randn(4, 3)
        results = [run(c, x) for c in range(2)]
    """
    found = uses(code)
    assert (8, "tensor", "inferred", "torch.Tensor.__getitem__") in found
    assert (14, "tensor", "inferred", "torch.Tensor.__mul__") in found
    assert (17, "tensor", "inferred", "torch.Tensor.shape") in found


def test_list_filled_by_append_iterates_to_what_was_appended() -> None:
    code = """
        import torch.nn as nn
        net = nn.Sequential(nn.Linear(2, 2))
        handles = []
        for name, module in net.named_modules():
            handles.append(module.register_forward_hook(f))
        for h in handles:
            h.remove()
        names = []
        names.append("a")
        for n in names:
            n.remove()
    """
    found = uses(code)
    assert (8, "utils", "inferred", "torch.utils.hooks.RemovableHandle.remove") in found
    assert 12 not in roles_by_line(code)


def test_a_deep_copy_is_what_it_copies() -> None:
    code = """
        import copy
        import torch.nn as nn

        class EMA:
            def __init__(self, model):
                self.shadow = copy.deepcopy(model).eval()
                self.shadow.requires_grad_(False)

        net = nn.Linear(2, 2)
        ema = EMA(net)
    """
    found = uses(code)
    assert (8, "nn", "inferred", "torch.nn.Module.requires_grad_") in found
    assert roles_by_line(code)[8] == {"nn"}  # not the tensor method of the same name


def test_items_of_a_registry_are_its_classes_not_tensors() -> None:
    code = """
        import torch.nn as nn

        class MLP(nn.Module):
            pass

        REGISTRY = {"a": MLP, "b": nn.Linear}
        for key, cls in REGISTRY.items():
            cls.upper()
            cls(3)
    """
    found = roles_by_line(code)
    assert 9 not in found  # not Tensor.upper, nor a member of nn.Module
    assert found[10] == {"nn"}


def test_dict_built_empty_and_filled_by_subscript_holds_what_is_stored() -> None:
    code = """
        import collections
        import torch
        features = collections.OrderedDict()
        counts = {}

        def hook(module, inputs, output):
            features["x"] = torch.relu(output)
            counts["x"] = 1

        for k, v in features.items():
            print(v.shape)
        for k, v in counts.items():
            print(v.shape)
    """
    found = roles_by_line(code)
    assert "tensor" in found[12]
    assert 14 not in found  # a dict of numbers


def test_getattr_of_self_under_a_computed_name_finds_what_setattr_registered() -> None:
    code = """
        import torch
        import torch.nn as nn

        class Stack(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.n = n
                for i in range(n):
                    setattr(self, "layer%d" % i, nn.Linear(4, 4))

            def forward(self, x):
                for i in range(self.n):
                    x = torch.relu(getattr(self, "layer%d" % i)(x))
                return getattr(self, "name_%d" % i)
    """
    found = uses(code)
    assert (14, "nn", "inferred", "torch.nn.Module.__call__") in found


def test_reads_on_fx_objects_count_only_for_properties() -> None:
    code = """
        import torch.fx

        def count(gm: torch.fx.GraphModule) -> int:
            n = 0
            for node in gm.graph.nodes:
                if node.op == "call_function":
                    n += len(node.args)
            return n

        def first(node: torch.fx.Node):
            return node.op, node.args
    """
    found = roles_by_line(code)
    assert found[6] == {"jit"}
    assert 7 not in found  # Node.op is a plain attribute: no torch code runs
    assert found[12] == {"jit"}  # Node.args is a property
