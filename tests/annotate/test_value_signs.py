"""Signs in the code that say what a value is when its origin does not (issue 11 §2): a loss's
value, a value `.backward()` runs on and a module's output are tensors; legacy typed
constructors make tensors; a `forward` parameter used only as a Python number is not one."""

from __future__ import annotations

from tests.annotate._helpers import uses


def _symbols_on(code: str, line: int) -> set[str | None]:
    return {symbol for number, _, _, symbol in uses(code) if number == line}


def test_a_value_backward_is_called_on_is_a_tensor() -> None:
    code = """\
        import torch
        def fit(f, x):
            value = f(x)
            value.backward()
            return value.data.abs()
        """
    assert {"torch.Tensor.data", "torch.Tensor.abs"} <= _symbols_on(code, 5)


def test_without_backward_an_unknown_value_stays_unknown() -> None:
    code = """\
        import torch
        def fit(f, x):
            value = f(x)
            return value.data.abs()
        """
    assert _symbols_on(code, 4) == set()


def test_backward_in_another_function_says_nothing_here() -> None:
    code = """\
        import torch
        def fit(f, x):
            value = f(x)
            return value.data.abs()
        def other(value):
            value.backward()
        """
    assert _symbols_on(code, 4) == set()


def test_a_torch_module_called_through_forward_returns_a_tensor() -> None:
    code = """\
        import torch.nn as nn
        loss = nn.CrossEntropyLoss()
        layer = nn.Linear(3, 2)
        output = loss.forward(layer.forward(x), y)
        print(output.item())
        """
    assert "torch.Tensor.item" in _symbols_on(code, 5)


def test_legacy_typed_constructors_make_tensors() -> None:
    code = """\
        import torch
        t = torch.FloatTensor(1, 5).zero_()
        t[0][2] = 1
        a = torch.IntTensor([2, 3])
        b = a * a
        """
    assert "torch.Tensor.zero_" in _symbols_on(code, 2)
    assert "torch.Tensor.__getitem__" in _symbols_on(code, 3)
    assert _symbols_on(code, 5) == {"torch.Tensor.__mul__"}


_SEQ2SEQ = """\
    import random
    import torch.nn as nn
    class Decoder(nn.Module):
        def forward(self, target, hidden, teacher_forcing_ratio, max_len):
            for t in range(max_len):
                use_teacher = random.random() < teacher_forcing_ratio
                scale = hidden * teacher_forcing_ratio
            return target.sum()
    """


def test_a_forward_parameter_used_as_a_python_number_is_not_a_tensor() -> None:
    plain = _SEQ2SEQ.replace("                scale = hidden * teacher_forcing_ratio\n", "")
    assert _symbols_on(plain, 6) == set()  # random.random() < teacher_forcing_ratio
    assert "torch.Tensor.sum" in _symbols_on(plain, 7)  # the other parameters stay tensors


def test_a_forward_parameter_also_used_as_a_tensor_stays_one() -> None:
    assert _symbols_on(_SEQ2SEQ, 6) == {"torch.Tensor.__lt__"}
    assert "torch.Tensor.__mul__" in _symbols_on(_SEQ2SEQ, 7)


def test_a_comparison_with_a_literal_says_nothing_about_a_forward_parameter() -> None:
    code = """\
        import torch.nn as nn
        class Gate(nn.Module):
            def forward(self, x, threshold):
                return x > threshold
        """
    assert _symbols_on(code, 4) == {"torch.Tensor.__gt__"}
