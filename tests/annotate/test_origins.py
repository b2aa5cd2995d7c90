"""Object origins: values followed through assignments, unpacking, attributes, parameters,
class bases and producers' return values; heuristics only where nothing else is known."""

from __future__ import annotations

from tests.annotate._helpers import roles_by_line, uses


def test_untyped_training_function_uses_names_as_heuristic_evidence() -> None:
    code = """
        def train(model, optimizer, criterion, loader, device):
            model.train()
            for data, target in loader:
                data, target = data.to(device), target.to(device)
                optimizer.zero_grad()
                loss = criterion(model(data), target)
                loss.backward()
                optimizer.step()
                total += loss.item()
    """
    found = uses(code)
    assert (3, "nn", "heuristic", "torch.nn.Module.train") in found
    assert (4, "data", "heuristic", "torch.utils.data.DataLoader.__iter__") in found
    assert (5, "tensor", "heuristic", "torch.Tensor.to") in found
    assert (6, "optim", "heuristic", "torch.optim.Optimizer.zero_grad") in found
    assert (8, "autograd", "heuristic", "torch.Tensor.backward") in found
    assert (9, "optim", "heuristic", "torch.optim.Optimizer.step") in found
    assert roles_by_line(code)[10] == {"tensor"}


def test_module_attributes_set_in_init_are_followed_into_forward() -> None:
    code = """
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def __init__(self):
                super(Net, self).__init__()
                self.conv1 = nn.Conv2d(1, 4, 3)
                self.lstm = nn.LSTM(4, 4)
                self.layers = nn.ModuleList([nn.Linear(4, 4)])

            def forward(self, x):
                x = F.relu(self.conv1(x))
                out, hidden = self.lstm(x)
                h, c = hidden
                for layer in self.layers:
                    out = layer(out)
                return out + h
    """
    found = uses(code)
    assert (7, "nn", "inferred", "torch.nn.Module.__init__") in found
    assert (13, "nn", "inferred", "torch.nn.Module.__call__") in found
    assert (14, "nn", "inferred", "torch.nn.Module.__call__") in found
    assert (16, "nn", "inferred", "torch.nn.ModuleList.__iter__") in found
    assert (17, "nn", "inferred", "torch.nn.Module.__call__") in found
    assert (18, "tensor", "inferred", "torch.Tensor.__add__") in found
    assert 15 not in roles_by_line(code)  # unpacking a tuple runs no torch code


def test_model_optimizer_scheduler_and_saving() -> None:
    code = """
        import torch
        import torch.nn as nn
        from torch import optim

        class Net(nn.Module):
            def forward(self, x):
                return x

        model = Net().to(device)
        optimizer = optim.Adam(model.parameters(), lr=1e-3)
        scheduler = optim.lr_scheduler.StepLR(optimizer, 1)
        scheduler.step()
        torch.save(model.state_dict(), "m.pt")
        print(optimizer.param_groups[0]["lr"])
    """
    found = uses(code)
    assert {(10, "nn", "inferred", "torch.nn.Module"), (10, "nn", "inferred", "torch.nn.Module.to")} <= found
    assert (11, "nn", "inferred", "torch.nn.Module.parameters") in found
    assert (13, "optim", "inferred", "torch.optim.lr_scheduler.StepLR.step") in found
    assert roles_by_line(code)[14] == {"tensor", "nn"}
    assert roles_by_line(code)[15] == {"optim"}


def test_variable_line_carries_autograd_and_tensor() -> None:
    code = "import torch\nfrom torch.autograd import Variable\nx = Variable(torch.randn(2, 3))\n"
    assert roles_by_line(code)[3] == {"autograd", "tensor"}


def test_cuda_on_a_module_is_nn_and_on_a_tensor_is_tensor() -> None:
    code = """
        import torch
        import torch.nn as nn
        net = nn.Linear(2, 2)
        net.cuda()
        x = torch.zeros(2)
        x.cuda()
    """
    assert roles_by_line(code)[5] == {"nn"} and roles_by_line(code)[7] == {"tensor"}


def test_sequential_indexing_and_custom_function() -> None:
    code = """
        import torch
        import torch.nn as nn

        class Square(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return 2 * x * grad

        seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        first = seq[0]
        y = Square.apply(torch.ones(2))
    """
    by_line = roles_by_line(code)
    assert by_line[5] == {"autograd"} and by_line[8] == {"autograd"} and by_line[13] == {"autograd"}
    assert by_line[9] == {"tensor"} and by_line[17] == {"nn"} and by_line[18] == {"autograd", "tensor"}


def test_plain_objects_are_never_guessed() -> None:
    code = """
        import numpy as np
        import torch

        class Value:
            def backward(self):
                pass

        class LookupModel:
            def train(self):
                pass

        arr = np.arange(6)
        print(arr.mean(), arr.sum(), arr.tolist())
        v = Value() * 2
        v.backward()
        model = LookupModel()
        model.train()
        words = "a b".split()
    """
    assert uses(code) == set()


def test_flow_follows_reassignment() -> None:
    code = """
        import torch
        x = torch.randn(3)
        y = x + 1
        x = x.numpy()
        z = x + 1
    """
    by_line = roles_by_line(code)
    assert by_line[4] == {"tensor"} and 6 not in by_line


def test_globals_assigned_later_are_seen_inside_functions() -> None:
    code = """
        import torch.nn as nn

        def step(x):
            return model(x)

        model = None
        if __name__ == "__main__":
            model = nn.Linear(2, 2)
    """
    assert (5, "nn", "inferred", "torch.nn.Module.__call__") in uses(code)


def test_user_functions_return_values_are_followed() -> None:
    code = """
        import torch

        def get_batch():
            return torch.randn(4, 2), torch.randn(4)

        x, y = get_batch()
        z = x.view(-1)
    """
    assert (8, "tensor", "inferred", "torch.Tensor.view") in uses(code)


def test_type_hints_give_origins() -> None:
    code = """
        import torch
        from typing import Optional

        def run(opt: torch.optim.Optimizer, x: Optional[torch.Tensor] = None):
            opt.step()
            return x.sum()
    """
    found = uses(code)
    assert (6, "optim", "inferred", "torch.optim.Optimizer.step") in found
    assert (7, "tensor", "inferred", "torch.Tensor.sum") in found


def test_formatting_and_builtins_on_tensors() -> None:
    code = """
        import torch
        loss = torch.tensor(0.5)
        print("loss %.3f" % loss)
        print(f"{loss:.2f}")
        n = len(torch.zeros(3))
        s = "{}".format(1)
    """
    by_line = roles_by_line(code)
    assert by_line[4] == {"tensor"} and by_line[5] == {"tensor"} and by_line[6] == {"tensor"}
    assert 7 not in by_line


def test_truth_tests_on_tensors_and_dynamic_torch_names() -> None:
    code = """
        import torch
        import torch.nn as nn
        x = torch.tensor([1.0])
        if x:
            pass
        ok = not x
        name = "x"
        if name:
            pass
        opt = getattr(torch.optim, "SGD")([x], lr=0.1)
        opt.zero_grad()
        rnn = getattr(nn, "LSTM")(4, 4)
        out, hidden = rnn(torch.zeros(1, 1, 4))
    """
    by_line = roles_by_line(code)
    assert by_line[5] == {"tensor"} and by_line[7] == {"tensor"} and 9 not in by_line
    assert by_line[11] == {"optim"} and by_line[12] == {"optim"}
    assert by_line[13] == {"nn"} and by_line[14] == {"nn", "tensor"}


def test_dicts_of_tensors_and_modules_of_other_libraries() -> None:
    code = """
        import math
        import torch
        import torch.nn as nn
        model = nn.Linear(2, 2)
        state = {k: v.cpu() for k, v in model.state_dict().items()}
        for key in model.state_dict():
            key.startswith("w")
        y = math.exp(2.0)
    """
    by_line = roles_by_line(code)
    assert by_line[6] == {"nn", "tensor"} and 8 not in by_line and 9 not in by_line


def test_names_of_unknown_origin_say_what_they_hold_but_only_real_members_count() -> None:
    code = """
        import torchvision
        model = torchvision.models.resnet18()
        out = model(images)
        model.train()
        model.fit(data)
        opts = parse()
        opts.volatile = True
        opts.step()
    """
    found = uses(code)
    assert (4, "nn", "heuristic", "torch.nn.Module.__call__") in found
    assert (5, "nn", "heuristic", "torch.nn.Module.train") in found
    assert {line for line, *_ in found} == {4, 5}


def test_registered_buffers_and_submodules_are_attributes() -> None:
    code = """
        import torch
        import torch.nn as nn

        class Norm(nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("count", torch.tensor(0))
                self.add_module("proj", nn.Linear(2, 2))
                setattr(self, "head", nn.Linear(2, 1))

            def forward(self, x):
                self.count += 1
                return self.head(self.proj(x))
    """
    by_line = roles_by_line(code)
    assert by_line[13] == {"tensor"} and by_line[14] == {"nn"}


def test_other_libraries_handed_tensors_call_their_protocols() -> None:
    code = """
        import copy
        import math
        import numpy as np
        import torch
        import torch.nn as nn
        m = nn.Linear(2, 2)
        a = np.asarray(m.bias.detach())
        best = copy.deepcopy(m.state_dict())
        m2 = copy.deepcopy(m)
        r = math.sqrt(torch.tensor(4.0))
        k = np.asarray(np.zeros(3))
    """
    by_line = roles_by_line(code)
    assert by_line[8] == {"tensor", "autograd"} and by_line[9] == {"tensor", "nn"} and by_line[10] == {"nn"}
    assert by_line[11] == {"tensor"} and 12 not in by_line
