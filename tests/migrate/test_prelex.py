"""`async=` keyword arguments are repaired at the token level, before libcst parses."""

import libcst
import pytest

from readkit.migrate.prelex import repair_async_keyword


@pytest.mark.parametrize("before, after", [
    ("x = y.cuda(async=True)\n", "x = y.cuda(non_blocking=True)\n"),
    ("x = y.to(device, async=True)  # copy\n", "x = y.to(device, non_blocking=True)  # copy\n"),
    ("d, t = d.cuda(async = True), t.cuda(\n    async=True)\n",
     "d, t = d.cuda(non_blocking = True), t.cuda(\n    non_blocking=True)\n"),
])
def test_async_argument_becomes_non_blocking(before, after):
    code, changes = repair_async_keyword(before)
    assert code == after
    assert [c.idiom for c in changes] == ["async-argument"] * before.count("async")
    libcst.parse_module(code)  # now it parses


@pytest.mark.parametrize("source", [
    "x, async_ = 1, 2\n",
    "async def f():\n    await g(non_blocking=True)\n",
    "s = 'y.cuda(async=True)'  # in a string: untouched\n",
    "print 'python 2'\n",
])
def test_other_code_is_left_alone(source):
    assert repair_async_keyword(source) == (source, ())


def test_changes_name_their_lines():
    _, changes = repair_async_keyword("a = 1\nb = x.cuda(async=True)\n")
    assert [(c.line, c.before, c.after) for c in changes] == [
        (2, "b = x.cuda(async=True)", "b = x.cuda(non_blocking=True)")]
