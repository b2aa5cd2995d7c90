"""Reading files faithfully, classifying what cannot be parsed, writing atomically."""

import os
import stat
from pathlib import Path

import pytest

from readkit.results.annotate import FileError
from readkit.migrate import source as src
from readkit.migrate.source import read_source, write_atomically


def test_read_keeps_declared_encoding_and_newlines(tmp_path):
    path = tmp_path / "latin.py"
    path.write_bytes("# -*- coding: latin-1 -*-\r\nname = 'Müller'\r\n".encode("latin-1"))
    read = read_source(path)
    assert not isinstance(read, FileError)
    assert read.encoding == "iso-8859-1"
    assert read.text == "# -*- coding: latin-1 -*-\r\nname = 'Müller'\r\n"


@pytest.mark.parametrize("content, kind", [
    (b"\x00\x01binary", "binary"),
    (b"# -*- coding: no-such-codec -*-\nx = 1\n", "encoding"),
    (b"x = '\xff\xfe'\n", "encoding"),
])
def test_unreadable_files_become_errors(tmp_path, content, kind):
    from readkit.annotate.files import SourceError, read_text

    path = tmp_path / "bad.py"
    path.write_bytes(content)
    error = read_source(path)
    assert isinstance(error, FileError) and error.kind == kind
    with pytest.raises(SourceError) as annotated:  # the annotator's reader says the same
        read_text(path)
    assert annotated.value.error == error


def test_write_atomically_replaces_content_and_keeps_mode(tmp_path):
    path = tmp_path / "run.py"
    path.write_text("old\n")
    path.chmod(0o755)
    write_atomically(path, "nouveau = 'é'\n", "utf-8")
    assert path.read_text(encoding="utf-8") == "nouveau = 'é'\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.py"]  # no temp file left


def test_interrupted_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "train.py"
    path.write_text("original = True\n")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(src.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(path, "migrated = True\n", "utf-8")
    assert path.read_text() == "original = True\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.py"]
    assert os.path.exists(path)
