"""0.3-era `async=` keywords: a syntax error since Python 3.7, yet the file is analyzed."""

from readkit.annotate import annotate_source

OLD = "import torch\nx = torch.ones(2)\ny = x.cuda(async=True)  # pinned\nz = y + 1\n"


def test_a_file_with_async_keywords_is_analyzed_and_the_keyword_flagged():
    result = annotate_source(OLD)
    assert result.error is None
    async_findings = [f for f in result.legacy if f.idiom == "async-argument"]
    assert [(f.line, f.column, f.replacement) for f in async_findings] == [(3, 12, "non_blocking")]
    assert {(a.line, a.role) for a in result.annotations} >= {(2, "tensor"), (3, "tensor"), (4, "tensor")}


def test_async_def_is_not_an_async_keyword():
    result = annotate_source("import torch\nasync def load(x):\n    return torch.ones(1)\n")
    assert not [f for f in result.legacy if f.idiom == "async-argument"]
