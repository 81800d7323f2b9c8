"""`--cluster ADDRESS`: its parsing, its record in the run counts, and its refusals (no dask
needed; the cluster runs themselves are in tests/integration/test_cluster.py)."""

from __future__ import annotations

import pytest

from detector.cli import build_parser
from detector.cluster import parse_address
from detector.config import Config
from detector.errors import ConfigError
from detector.pipeline import run_pipeline
from detector.records import RunCounts


def test_local_and_scheduler_addresses():
    assert parse_address("local:2") == 2
    assert parse_address(" local:16 ") == 16
    assert parse_address("tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"


@pytest.mark.parametrize("bad", ["local:0", "local:x", "local:", ""])
def test_bad_addresses_are_one_line_config_errors(bad):
    with pytest.raises(ConfigError, match="local:N"):
        parse_address(bad)


def test_cluster_is_kept_in_the_run_counts():
    rec = dict(address="local:2", workers=2, batches=7, worker_seconds=12.5)
    counts = RunCounts(cluster=rec, predictions_new=3)
    data = counts.to_json()
    assert data["cluster"] == rec
    assert RunCounts.from_json(data).cluster == rec
    assert "cluster" not in RunCounts().to_json()
    assert RunCounts.from_json({"cluster": "junk"}).cluster is None


def test_run_takes_the_cluster_flag():
    args = build_parser().parse_args(["run", "--config", "x.toml", "--cluster", "local:2"])
    assert args.cluster == "local:2"
    assert build_parser().parse_args(["run", "--config", "x.toml"]).cluster is None


def test_a_cluster_run_refuses_a_classifier_object(fake_classifier, tmp_path):
    with pytest.raises(ConfigError, match="loads its model on the workers"):
        run_pipeline(
            Config(sources=[]),
            f"sqlite:///{tmp_path / 'x.db'}",
            fake_classifier,
            cluster="local:1",
        )
