"""annotate_source results show their own code in a terminal and in Jupyter."""

from readkit import annotate_source

CODE = "import torch\nopt_lr = 0.1\nx = torch.ones(2)\n"


def test_str_shows_the_annotated_line_of_code():
    text = str(annotate_source(CODE))
    assert "x = torch.ones(2)" in text
    assert "[tensor]" in text


def test_jupyter_view_shows_the_code():
    html = annotate_source(CODE)._repr_html_()
    assert "ones" in html and "opt_lr" in html  # the whole source, not only the annotated spans


def test_the_source_does_not_change_equality():
    assert annotate_source(CODE) == annotate_source(CODE)
