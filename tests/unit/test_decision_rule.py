"""The optional decision block of model.json (``Decision``): per-label minimum probabilities
replace the argmax; absent, the argmax stays exactly as it was; a bad block is a ModelError."""

from __future__ import annotations

import json

import numpy as np
import pytest

from detector.errors import ModelError
from detector.nlp.classifier import (
    ACTIONS,
    STANCES,
    TARGETS,
    HeadClassifier,
    Preprocessing,
    load_classifier,
)

DIM = 384


def _model(tmp_path, decision=None, version="tiny-v0"):
    rng = np.random.default_rng(0)
    heads = {}
    for name, labels in (("stance", STANCES), ("action", ACTIONS), ("target", TARGETS)):
        heads[f"{name}_W"] = rng.normal(size=(len(labels), DIM)).astype(np.float32)
        heads[f"{name}_b"] = np.zeros(len(labels), dtype=np.float32)
    meta = {
        "version": version,
        "labels": {"stance": list(STANCES), "action": list(ACTIONS), "target": list(TARGETS)},
        "temperature": {"stance": 3.0, "action": 3.0, "target": 3.0},
    }
    if decision is not None:
        meta["decision"] = decision
    HeadClassifier.save(tmp_path / version, meta, heads, Preprocessing(max_length=64))
    return load_classifier(version, "torch", models_dir=tmp_path)


def _X(n=400):
    return np.random.default_rng(1).normal(size=(n, DIM)).astype(np.float32)


def test_no_decision_block_keeps_the_argmax(tmp_path):
    clf = _model(tmp_path)
    assert clf.decision is None
    X = _X()
    ps, pa, pt = (clf._probs(n, X) for n in ("stance", "action", "target"))
    for i, o in enumerate(clf.predict_embeddings(X)):
        s = int(ps[i].argmax())
        assert o.stance == clf.labels["stance"][s] and o.stance_score == float(ps[i, s])
        assert o.action == clf.labels["action"][int(pa[i].argmax())]
        if o.action == "strike":
            assert o.target == clf.labels["target"][int(pt[i].argmax())]
        else:
            assert o.target is None


def test_min_prob_turns_weak_willing_into_the_next_best(tmp_path):
    plain = _model(tmp_path / "a")
    ruled = _model(tmp_path / "b", {"stance": {"min_prob": {"willing": 0.6}}})
    X = _X()
    a, b = plain.predict_embeddings(X), ruled.predict_embeddings(X)
    changed = 0
    for x, y in zip(a, b):
        pw = x.stance_probs["willing"]
        assert x.stance_probs == y.stance_probs  # the probabilities are untouched
        assert (x.action, x.target) == (y.action, y.target)  # other heads: argmax
        if x.stance == "willing" and pw < 0.6:
            changed += 1
            rest = {k: v for k, v in x.stance_probs.items() if k != "willing"}
            nxt = max(rest, key=rest.get)
            assert y.stance == nxt and y.stance_score == rest[nxt]
        else:
            assert (y.stance, y.stance_score) == (x.stance, x.stance_score)
        if y.stance == "willing":
            assert y.stance_probs["willing"] >= 0.6
    assert changed > 0  # the fixture exercises the rule


def test_min_prob_of_zero_is_the_argmax(tmp_path):
    plain = _model(tmp_path / "a")
    ruled = _model(tmp_path / "b", {"stance": {"min_prob": {"willing": 0, "unwilling": 0.0}}})
    X = _X()
    assert plain.predict_embeddings(X) == ruled.predict_embeddings(X)


@pytest.mark.parametrize(
    "decision, message",
    [
        ([], "must be an object"),
        ({"mood": {"min_prob": {}}}, "names head 'mood'"),
        ({"stance": {"max_prob": {}}}, "must be an object with min_prob"),
        ({"stance": {"min_prob": [0.5]}}, "min_prob must be an object"),
        ({"stance": {"min_prob": {"eager": 0.5}}}, "names label 'eager'"),
        ({"stance": {"min_prob": {"willing": 1.5}}}, "between 0 and 1"),
        ({"stance": {"min_prob": {"willing": -0.1}}}, "between 0 and 1"),
        ({"stance": {"min_prob": {"willing": "0.7"}}}, "between 0 and 1"),
        ({"stance": {"min_prob": {"willing": True}}}, "between 0 and 1"),
        (
            {"stance": {"min_prob": {"willing": 0.5, "unwilling": 0.5, "none": 0.1}}},
            "every label",
        ),
    ],
)
def test_a_bad_decision_block_is_a_model_error(tmp_path, decision, message):
    with pytest.raises(ModelError, match=message) as err:
        _model(tmp_path, decision)
    assert "model.json" in str(err.value)


def test_decision_block_is_kept_by_save(tmp_path):
    clf = _model(tmp_path, {"stance": {"min_prob": {"willing": 0.7}}})
    meta = json.loads((tmp_path / "tiny-v0" / "model.json").read_text())
    assert meta["decision"] == {"stance": {"min_prob": {"willing": 0.7}}}
    assert clf.decision is not None and clf.decision.min_prob["stance"].tolist() == [0.7, 0, 0]


def test_shipped_v8_is_v7_weights_plus_the_rule_and_not_the_default():
    from detector.nlp.classifier import DEFAULT_MODEL_VERSION, shipped_artifacts

    clf = load_classifier("minilm-lora-v8")
    assert clf.decision is not None
    assert clf.decision.min_prob["stance"].tolist() == [0.725, 0.0, 0.0]
    v7, v8 = shipped_artifacts() / "minilm-lora-v7", shipped_artifacts() / "minilm-lora-v8"
    for f in ("heads.npz", "lora.npz"):
        assert (v7 / f).read_bytes() == (v8 / f).read_bytes()
    assert load_classifier("minilm-lora-v7").decision is None
    assert DEFAULT_MODEL_VERSION != "minilm-lora-v8"  # v8 is worse held out (its card)


TOPIC = {"labels": ["willing", "unwilling"], "pattern": r"\b(talks|peace)\b"}


def test_topic_rule_keeps_stance_only_where_the_pattern_occurs(tmp_path):
    plain = _model(tmp_path / "a")
    ruled = _model(tmp_path / "b", {"stance": {"topic": TOPIC}})
    X = _X(200)
    texts = ["Ready for Talks." if i % 2 else "It is a pleasure to see you." for i in range(200)]
    a, b = plain.predict_embeddings(X, texts), ruled.predict_embeddings(X, texts)
    off_topic_stance = 0
    for i, (x, y) in enumerate(zip(a, b)):
        assert x.stance_probs == y.stance_probs and (x.action, x.target) == (y.action, y.target)
        if i % 2:  # the pattern occurs (case-insensitive): the argmax stands
            assert (y.stance, y.stance_score) == (x.stance, x.stance_score)
        else:
            assert y.stance == "none" and y.stance_score == x.stance_probs["none"]
            off_topic_stance += x.stance != "none"
    assert off_topic_stance > 0  # the fixture exercises the rule


def test_topic_rule_needs_the_texts(tmp_path):
    ruled = _model(tmp_path, {"stance": {"topic": TOPIC}})
    assert ruled.decision is not None and ruled.decision.reads_text()
    with pytest.raises(ModelError, match="reads the sentence"):
        ruled.predict_embeddings(_X(3))


@pytest.mark.parametrize(
    "topic, message",
    [
        ({"labels": ["willing"]}, "labels and pattern"),
        ({"labels": ["eager"], "pattern": "x"}, "must be a list of"),
        ({"labels": ["willing", "unwilling", "none"], "pattern": "x"}, "every label"),
        ({"labels": ["willing"], "pattern": "(unclosed"}, "not a regular expression"),
    ],
)
def test_a_bad_topic_rule_is_a_model_error(tmp_path, topic, message):
    with pytest.raises(ModelError, match=message):
        _model(tmp_path, {"stance": {"topic": topic}})


def test_min_prob_and_topic_must_leave_a_label_free(tmp_path):
    with pytest.raises(ModelError, match="no label free"):
        _model(
            tmp_path,
            {"stance": {"min_prob": {"none": 0.5, "unwilling": 0.5}, "topic": TOPIC}},
        )


def test_shipped_v10_is_v5_weights_plus_the_topic_rule():
    from detector.nlp.classifier import shipped_artifacts

    v5, v10 = shipped_artifacts() / "minilm-lora-v5", shipped_artifacts() / "minilm-lora-v10"
    for f in ("heads.npz", "lora.npz"):
        assert (v5 / f).read_bytes() == (v10 / f).read_bytes()
    clf = load_classifier("minilm-lora-v10")
    assert clf.decision is not None and clf.decision.reads_text()
    base = load_classifier("minilm-lora-v5")
    texts = [
        "Russia is ready to resume peace talks with Ukraine, the Kremlin said.",
        "We highly appreciate that you have accepted our invitation once again.",
    ]
    a, b = base.predict(texts), clf.predict(texts)
    assert a[0].stance == b[0].stance == "willing"
    assert b[1].stance == "none" and b[1].stance_probs == a[1].stance_probs
