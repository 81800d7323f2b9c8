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
