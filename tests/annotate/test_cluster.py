"""`--scheduler`: the per-file work on a Dask cluster gives the local run's answers, and the
same cache semantics (the client writes the cache)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from distributed import LocalCluster

from readkit.annotate import AnnotateCache, annotate_paths
from readkit.cli import cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "annotate"
PROJECTS = [FIXTURES / "modern_trainer", FIXTURES / "gan", FIXTURES / "legacy_variable"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local


def test_the_cluster_gives_the_local_answers_and_fills_the_local_cache(cluster: LocalCluster,
                                                                       tmp_path: Path) -> None:
    local = annotate_paths(PROJECTS)
    cache = AnnotateCache(tmp_path / "c.db")
    remote = annotate_paths(PROJECTS, scheduler=cluster.scheduler_address, cache=cache)
    cache.close()
    assert len(local.files) >= 8 and remote == local
    assert [f.source for f in remote.files] == [f.source for f in local.files]
    again = AnnotateCache(tmp_path / "c.db")
    assert annotate_paths(PROJECTS, cache=again) == local
    again.close()
    assert (cache.misses, again.hits, again.misses) == (len(local.files), len(local.files), 0)


def test_the_cli_runs_on_the_cluster(cluster: LocalCluster) -> None:
    args = ["annotate", *map(str, PROJECTS), "--format", "json", "--no-cache"]
    remote = CliRunner().invoke(cli, [*args, "--scheduler", cluster.scheduler_address])
    local = CliRunner().invoke(cli, args)
    assert remote.exit_code == local.exit_code == 0
    assert json.loads(remote.output) == json.loads(local.output)


def test_a_scheduler_without_dask_installed_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    result = CliRunner().invoke(cli, ["annotate", str(FIXTURES), "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2 and "pip install 'readkit[dask]'" in result.output
