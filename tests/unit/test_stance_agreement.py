"""Annotator agreement figures of models/evaluate.py: Cohen's kappa and the pairwise table."""

import pytest

from models.evaluate import stance_agreement
from models.metrics import cohen_kappa


def test_kappa_known_values():
    assert cohen_kappa(["a", "b"] * 5, ["a", "b"] * 5) == 1.0
    # Agreement exactly at chance level: p_o = p_e = 0.5.
    assert cohen_kappa(["a", "a", "b", "b"], ["a", "b", "a", "b"]) == 0.0
    # p_o = 0.8; p_e = 0.6 * 0.6 + 0.4 * 0.4 = 0.52; kappa = 0.28 / 0.48.
    a = ["x"] * 6 + ["y"] * 4
    b = ["x"] * 5 + ["y"] + ["x"] + ["y"] * 3
    assert cohen_kappa(a, b) == pytest.approx(0.5833, abs=1e-4)
    assert cohen_kappa([], []) == 0.0
    assert cohen_kappa(["x", "x"], ["x", "x"]) == 1.0  # one label only: no chance to disagree


def _item(first, second, gold, unsure=False):
    return {"stance_a": first, "stance_b": second, "stance": gold, "stance_unsure_b": unsure}


def test_agreement_table_pairs_annotators_and_model():
    items = [
        _item("willing", "willing", "willing"),
        _item("willing", "none", "none", True),
        _item("unwilling", "unwilling", "unwilling"),
        _item("none", "none", "none"),
        {"stance": "none"},
    ]  # not double-annotated: left out
    pred = [{"stance": s} for s in ("willing", "none", "none", "none", "willing")]
    ag = stance_agreement(items, pred)
    assert ag["n"] == 4 and ag["unsure_second"] == 1 and ag["changed_by_adjudication"] == 1
    # second vs first: willing 1 of 2 found by the second, no false willing -> F1 2/3.
    assert ag["second_vs_first"]["willing_f1"] == pytest.approx(0.6667, abs=1e-4)
    assert ag["second_vs_first"]["unwilling_f1"] == 1.0
    # The model equals the second annotator except on the unwilling item.
    assert ag["model_vs_second"]["willing_f1"] == 1.0
    assert ag["model_vs_second"]["unwilling_f1"] == 0.0
    assert ag["model_vs_gold"]["accuracy"] == 0.75


def test_agreement_absent_without_a_second_annotation():
    assert stance_agreement([{"stance": "none"}], [{"stance": "none"}]) is None


def test_paired_difference_of_two_models_on_the_same_sentences():
    from models.evaluate import paired_f1_difference

    items = [{"stance": s, "speaker": "RUS"} for s in ["willing"] * 10 + ["none"] * 30]
    old = [{"stance": "none", "speaker": "RUS"} for _ in items]
    old[:5] = [{"stance": "willing", "speaker": "RUS"}] * 5  # 5 of 10 found: F1 2/3
    new = [dict(p) for p in old]
    new[5:9] = [{"stance": "willing", "speaker": "RUS"}] * 4  # 9 of 10: F1 18/19
    d = paired_f1_difference(items, new, old)
    assert d["willing_f1"]["diff"] == pytest.approx(18 / 19 - 2 / 3, abs=1e-4)
    lo, hi = d["willing_f1"]["ci95"]
    # Never worse on any resample: the paired interval stays above zero (a resample without
    # a willing sentence ties at 0).
    assert 0 < lo <= d["willing_f1"]["diff"] <= hi
    assert 0.95 < d["willing_f1"]["p_better"] < 1.0
    assert d["party_willing_f1"]["diff"] == d["willing_f1"]["diff"]
    same = paired_f1_difference(items, old, old)
    assert same["willing_f1"] == {"diff": 0.0, "ci95": [0.0, 0.0], "p_better": 0.0}
    assert paired_f1_difference([], [], []) == {}
