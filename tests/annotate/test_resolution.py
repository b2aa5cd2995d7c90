"""Names resolve through imports of every form (before/after pairs of dedented code)."""

from __future__ import annotations

import pytest

from tests.annotate._helpers import roles_by_line, uses

CASES = [
    ("import torch\nx = torch.randn(3)\n", {(2, "tensor", "resolved", "torch.randn")}),
    ("import torch.nn as nn\nlayer = nn.Linear(2, 3)\n", {(2, "nn", "resolved", "torch.nn.Linear")}),
    ("from torch import optim as o\nopt = o.SGD(params, lr=0.1)\n", {(2, "optim", "resolved", "torch.optim.SGD")}),
    ("from torch.nn import functional as F\ny = F.relu(x)\n", {(2, "nn", "resolved", "torch.nn.functional.relu")}),
    ("import torch.nn.functional\ny = torch.nn.functional.softmax(x, dim=1)\n",
     {(2, "nn", "resolved", "torch.nn.functional.softmax")}),
    ("import torch\ntt = torch\ny = tt.zeros(2)\n", {(3, "tensor", "resolved", "torch.zeros")}),
    ("from torch.autograd import Variable\nv = Variable(t)\n", {(2, "autograd", "resolved", "torch.autograd.Variable")}),
    ("from torch.utils.data import DataLoader\nloader = DataLoader(ds)\n",
     {(2, "data", "resolved", "torch.utils.data.DataLoader")}),
    ("import torch\n@torch.jit.script\ndef f(x):\n    return x\n", {(2, "jit", "resolved", "torch.jit.script")}),
    ("import torch\nm = torch.compile(model)\n", {(2, "jit", "resolved", "torch.compile")}),
    ("import torch\nwith torch.no_grad():\n    pass\n", {(2, "autograd", "resolved", "torch.no_grad")}),
    ("import torch\nok = torch.cuda.is_available()\n", {(2, "cuda", "resolved", "torch.cuda.is_available")}),
    ("import torch\nx = torch.ones(2, dtype=torch.float32)\n",
     {(2, "tensor", "resolved", "torch.ones"), (2, "tensor", "resolved", "torch.float32")}),
]


@pytest.mark.parametrize(("code", "expected"), CASES)
def test_import_forms_resolve(code: str, expected: set[tuple[int, str, str, str]]) -> None:
    assert uses(code) == expected


def test_star_import_from_torch_resolves_public_names_only() -> None:
    found = uses("from torch import *\nx = randn(3)\ny = undefined_thing(3)\n")
    assert found == {(2, "tensor", "resolved", "torch.randn")}


def test_imports_themselves_are_not_uses() -> None:
    assert uses("import torch\nimport torch.nn as nn\nfrom torch.optim import SGD\n") == set()


def test_names_that_only_look_like_torch_are_not_resolved() -> None:
    code = """
        import numpy as np
        import mylib.torch as torch
        x = np.zeros(3)
        y = torch.randn(3)
        torch = None
    """
    assert uses(code) == set()


def test_local_import_inside_a_function_resolves() -> None:
    code = """
        def build():
            import torch.nn as nn
            return nn.Linear(2, 2)
    """
    assert roles_by_line(code) == {4: {"nn"}}


def test_relative_and_absolute_repo_imports_find_classes_across_files(tmp_path) -> None:
    from readkit.annotate import annotate_paths

    pkg = tmp_path / "proj"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "models.py").write_text("import torch.nn as nn\nclass Net(nn.Module):\n    pass\n")
    (pkg / "deep.py").write_text("from .models import Net\nclass Deep(Net):\n    pass\n")
    (pkg / "train.py").write_text("from proj.deep import Deep\nm = Deep()\nm.eval()\nm.fit()\n")
    result = annotate_paths([tmp_path], jobs=1)
    by_file = {f.path.rsplit("/", 1)[-1]: {(a.line, a.role, a.symbol) for a in f.annotations} for f in result.files}
    assert by_file["train.py"] == {(2, "nn", "torch.nn.Module"), (3, "nn", "torch.nn.Module.eval")}


def test_script_style_sibling_import_in_a_subdirectory_without_the_word_torch(tmp_path) -> None:
    from readkit.annotate import annotate_paths

    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "models.py").write_text("import torch.nn as nn\nclass Net(nn.Module):\n    pass\n")
    (scripts / "run.py").write_text("from models import Net\nm = Net()\nm.eval()\n")
    result = annotate_paths([tmp_path], jobs=1)
    run = next(f for f in result.files if f.path.endswith("run.py"))
    assert {(a.line, a.role) for a in run.annotations} == {(2, "nn"), (3, "nn")}


def test_attributes_set_by_a_base_class_in_another_file_are_followed(tmp_path) -> None:
    from readkit.annotate import annotate_paths

    (tmp_path / "base.py").write_text(
        "import torch.nn as nn\nclass Base(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.fc = nn.Linear(2, 2)\n")
    (tmp_path / "deep.py").write_text(
        "from base import Base\nclass Deep(Base):\n    def forward(self, x):\n        return self.fc(x).relu()\n")
    result = annotate_paths([tmp_path], jobs=1)
    deep = next(f for f in result.files if f.path.endswith("deep.py"))
    assert {(a.line, a.role, a.symbol) for a in deep.annotations} >= {
        (4, "nn", "torch.nn.Module.__call__"), (4, "tensor", "torch.Tensor.relu")}


def test_classes_reached_through_an_imported_repo_module(tmp_path) -> None:
    from readkit.annotate import annotate_paths

    (tmp_path / "model.py").write_text("import torch.nn as nn\nclass RNNModel(nn.Module):\n    pass\n")
    (tmp_path / "main.py").write_text("import math\nimport model\nnet = model.RNNModel()\nnet.eval()\ny = math.exp(1)\n")
    result = annotate_paths([tmp_path], jobs=1)
    main = next(f for f in result.files if f.path.endswith("main.py"))
    assert {(a.line, a.role, a.symbol) for a in main.annotations} == {
        (3, "nn", "torch.nn.Module"), (4, "nn", "torch.nn.Module.eval")}


def test_star_import_names_are_read_without_importing_torch_here() -> None:
    import subprocess
    import sys

    code = ("import sys; from readkit.annotate.torchnames import exported; names = exported('torch.nn'); "
            "print('Linear' in names, 'MSELoss' in names, '_private' in names, 'torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.stdout.split() == ["True", "True", "False", "False"]  # a worker stays free of torch's 200 MB
