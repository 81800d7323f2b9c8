"""models/evaluate.py on the project dev split and the real dev set, with the real classifier."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from detector.nlp import encoder as enc_mod
from detector.nlp.annotate import Annotator
from detector.settings import Settings
from models import evaluate as ev
from models import real_dev

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def classifier():
    return Annotator.load(None, Settings.from_env())


@pytest.fixture(scope="module")
def base_encoder():
    """The similarity baseline's frozen encoder: fp32 ONNX when available (the same embeddings
    as torch to float precision, twice as fast), else torch, as models/evaluate.py's default."""
    settings = Settings.from_env()
    return enc_mod.load_encoder(
        "onnx" if enc_mod.onnx_available() else "torch",
        threads=settings.threads,
        cache_dir=settings.cache_dir,
    )


@pytest.fixture(scope="module")
def project_results(classifier, base_encoder):
    items = ev.project_dev_items()
    return items, ev.evaluate_all(items, classifier, base_encoder)


def _in_unit(x):
    return x is None or 0.0 <= x <= 1.0


def _check_structure(res, n):
    assert res["n"] == n
    for head in ("stance", "action", "target"):
        rep = res[head]
        assert _in_unit(rep["accuracy"]) and _in_unit(rep["macro_f1"])
        for v in rep["per_class"].values():
            assert all(_in_unit(v[k]) for k in ("precision", "recall", "f1"))
        assert _in_unit(rep.get("ece"))
    # Rows of the confusion matrix add up to the gold support of each class.
    for head in ("stance", "action"):
        rep = res[head]
        for lab, row in zip(rep["confusion"]["labels"], rep["confusion"]["matrix"]):
            assert sum(row) == rep["per_class"][lab]["support"]
    assert _in_unit(res["speaker"]["accuracy"]) and _in_unit(res["actor"]["accuracy"])


@pytest.mark.slow  # the classifier and two baselines on the project dev split
def test_project_dev_split_metrics(project_results, classifier):
    items, results = project_results
    assert items and all(ev.is_dev(it["family"]) for it in items)
    counts = Counter(it["stance"] for it in items)
    assert all(counts[s] > 0 for s in ("willing", "unwilling", "none"))
    assert set(results) == {classifier.version, "keywords", "similarity"}
    for res in results.values():
        _check_structure(res, len(items))
    model = results[classifier.version]
    # The trained heads must beat hand-written rules on the project's own dev families.
    assert model["stance"]["macro_f1"] > results["keywords"]["stance"]["macro_f1"]
    assert model["stance"]["ece"] is not None and results["keywords"]["stance"]["ece"] is None
    # Baselines do no attribution: they cannot name an explicit speaker (the default is null).
    assert results["keywords"]["speaker"]["accuracy"] == 0.0
    assert model["speaker"]["accuracy"] > 0.0


def test_detail_scores_skip_when_labels_lack_them():
    gold = [
        {
            "action": "strike",
            "launched": 10.0,
            "destroyed": None,
            "weapons": ["Shahed drones"],
            "places": ["Kharkiv Region"],
        }
    ]
    assert ev._detail_scores(gold, [{"action": "strike"}]) is None
    scores = ev._detail_scores(
        gold,
        [
            {
                "action": "strike",
                "launched": 10,
                "destroyed": None,
                "weapons": ["shahed"],
                "places": ["Odesa"],
            }
        ],
    )
    assert scores["launched"] == {"exact": 1.0, "n": 1}
    assert scores["weapons"]["f1"] == 1.0 and scores["places"]["f1"] == 0.0


@pytest.fixture(scope="module")
def real_run(classifier, base_encoder):
    """The real files split once per module (the slow part), the labels resolved against them,
    and every system evaluated on the result."""
    if not real_dev.REAL_DIR.is_dir():
        pytest.skip("../shared/data/real is absent (real data is only on development machines)")
    cands = real_dev.candidates(real_dev.REAL_DIR)
    found, missing = real_dev.load_real_dev(real_dev.REAL_DIR, cands=cands)
    return cands, found, missing, ev.evaluate_all(found, classifier, base_encoder)


@pytest.mark.realdata
def test_real_dev_labels_resolve(real_run):
    cands, found, missing, _ = real_run
    assert not missing, f"{len(missing)} labels lost their text"
    labels = real_dev.load_labels()
    assert len(found) == len(labels) >= 700
    # The labels file never carries the licensed text itself.
    assert all("text" not in lab for lab in labels)
    # Every selected sentence is labelled, and every label is in the selection.
    items = real_dev.select(cands)
    selected = {(it["source"], it["hash"]) for it in items}
    assert selected == {(lab["source"], lab["hash"]) for lab in labels}
    assert len(selected) == len(items)  # no sentence drawn twice
    # Stage 4 drew from what stages 1-3 left: dropping it leaves the earlier sample as it was.
    earlier = real_dev.select(cands, stage4={})
    assert {(it["source"], it["hash"]) for it in earlier} < selected
    stance = Counter(it["stance"] for it in found)
    targets = Counter(it["target"] for it in found if it["action"] == "strike")
    assert stance["willing"] >= 50 and stance["unwilling"] >= 30
    assert sum(targets.values()) >= 100 and all(
        targets[t] >= 20 for t in ("energy", "civilian", "military", "unspecified")
    )
    for it in found:
        assert (it["target"] is None) == (it["action"] == "none")
        assert it["default_speaker"] == real_dev.DEFAULT_SPEAKERS[it["source"]]
        assert it["home"] == real_dev.HOMES.get(it["source"])


@pytest.mark.realdata
def test_real_dev_evaluates(real_run, classifier):
    _, found, _, results = real_run
    assert set(results) == {classifier.version, "keywords", "similarity"}
    for res in results.values():
        _check_structure(res, len(found))
    assert results[classifier.version]["speaker"]["n"] == sum(
        it["speaker_explicit"] for it in found
    )
    json.dumps(results)  # what --json writes


def test_cli_without_real_data_says_so(tmp_path, capsys, monkeypatch):
    # Only the project split: stub the evaluation of each set to keep this fast; the message
    # and the JSON file are what is checked here.
    monkeypatch.setattr(
        ev,
        "evaluate_all",
        lambda items, clf, enc=None, pred=None: {
            "gold": ev.evaluate(
                items, [dict(it, stance_score=1.0, action_score=1.0) for it in items]
            )
        },
    )
    monkeypatch.setattr(ev, "project_dev_items", _few_items)
    out = tmp_path / "m.json"
    assert ev.main(["--real", str(tmp_path / "absent"), "--json", str(out)]) == 0
    assert "real dev and test sets skipped" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert "project_dev" in data and "real_dev" not in data
    assert ev.headline(data["project_dev"]["gold"])["stance_macro_f1"] == 1.0


def _few_items():
    return [
        {
            "text": "Moscow is ready for talks.",
            "stance": "willing",
            "action": "none",
            "target": None,
            "speaker": "RUS",
            "speaker_explicit": True,
            "actor": None,
            "default_speaker": None,
        },
        {
            "text": "Drones hit a substation.",
            "stance": "none",
            "action": "strike",
            "target": "energy",
            "speaker": None,
            "speaker_explicit": False,
            "actor": "RUS",
            "default_speaker": None,
        },
    ] * 3
