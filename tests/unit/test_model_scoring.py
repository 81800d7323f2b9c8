"""Scorer thresholds that belong to a model: a model.json ``scoring`` record, read by
``model_scoring`` and filled into the thresholds a config leaves open (``for_model``)."""

import json

import pytest

from detector import pipeline
from detector.config import V3_MIN_SHARE, Config, ScoringConfig, parse_config
from detector.errors import ModelError
from detector.nlp.classifier import DEFAULT_MODEL_VERSION, model_scoring
from detector.store.store import Store

V3 = "contradiction.v3"


def _artifact(root, version, scoring):
    folder = root / version
    folder.mkdir(parents=True)
    (folder / "model.json").write_text(json.dumps({"version": version, "scoring": scoring}))
    return root


def test_model_scoring_reads_the_record_of_the_method(tmp_path):
    root = _artifact(tmp_path, "tiny-v1", {V3: {"v3_min_share": 0.03, "derived": "a note"}})
    assert model_scoring("tiny-v1", V3, root) == {"v3_min_share": 0.03}
    assert model_scoring("tiny-v1+torch-bf16", V3, root) == {"v3_min_share": 0.03}
    assert model_scoring("tiny-v1", "contradiction.v1", root) == {}
    # A classifier passed in as an object has no artifact: nothing to fill in.
    assert model_scoring("fake-keywords-v0", V3, root) == {}


@pytest.mark.parametrize("value", [0, 1.5, True, "0.03"])
def test_model_scoring_refuses_a_share_that_is_not_one(tmp_path, value):
    root = _artifact(tmp_path, "tiny-v1", {V3: {"v3_min_share": value}})
    with pytest.raises(ModelError, match=r"tiny-v1/model.json: scoring.contradiction.v3"):
        model_scoring("tiny-v1", V3, root)


def test_the_default_model_carries_its_claim_share_and_v5_does_not():
    assert 0 < model_scoring(DEFAULT_MODEL_VERSION, V3)["v3_min_share"] < V3_MIN_SHARE
    assert model_scoring("minilm-lora-v5", V3) == {}


def test_for_model_fills_only_what_the_config_leaves_open():
    open_ = ScoringConfig()
    assert open_.v3_min_share is None and open_.v3_share == V3_MIN_SHARE
    assert open_.for_model({"v3_min_share": 0.03}).v3_share == 0.03
    assert open_.for_model({}).v3_share == V3_MIN_SHARE
    set_ = parse_config("[scoring]\nv3_min_share = 0.05\n", base_dir=None).scoring
    assert set_.for_model({"v3_min_share": 0.03}).v3_share == 0.05
    assert parse_config("", base_dir=None).scoring.v3_min_share is None


@pytest.mark.parametrize(("toml", "share"), [("", 0.03), ("[scoring]\nv3_min_share = 0.2\n", 0.2)])
def test_rescore_scores_with_the_models_share_unless_the_config_sets_one(
    tmp_path, monkeypatch, toml, share
):
    root = _artifact(tmp_path / "models", "tiny-v1", {V3: {"v3_min_share": 0.03}})
    seen = []
    real = pipeline.COUPLING_SCORERS[V3]

    def scorer(statements, strikes, cfg, structured=None):
        seen.append(cfg)
        return real(statements, strikes, cfg, structured)

    monkeypatch.setitem(pipeline.COUPLING_SCORERS, V3, scorer)
    config = Config(sources=[], scoring=parse_config(toml, base_dir=None).scoring)
    with Store.open(f"sqlite:///{tmp_path / 'd.db'}") as store:
        pipeline.rescore(store, config, "tiny-v1", None, models_dir=root)
    assert [c.v3_share for c in seen] == [share]
