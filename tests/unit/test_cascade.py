"""The cascade classifier with fakes: the gate routes only plausible stance sentences to the
second encoder, whose head decides their stance; everything else stays the base model's."""

import json

import numpy as np
import pytest

from detector.errors import ModelError
from detector.nlp.cascade import CascadeClassifier, gate, save_cascade
from detector.nlp.classifier import STANCES, HeadOutput


class FakeBase:
    """P(willing) is read from the sentence: "talks" -> 0.6, "maybe" -> 0.1, else 0.01."""

    version = "fake-base-v0"

    def predict(self, texts):
        out = []
        for t in texts:
            pw = 0.6 if "talks" in t else 0.1 if "maybe" in t else 0.01
            probs = {"willing": pw, "unwilling": 0.0, "none": 1 - pw}
            top = max(probs, key=probs.get)
            out.append(
                HeadOutput(
                    stance=top,
                    stance_score=probs[top],
                    stance_probs=probs,
                    action="strike" if "drone" in t else "none",
                    action_score=0.9,
                    target="energy" if "drone" in t else None,
                    target_score=0.8 if "drone" in t else None,
                )
            )
        return out


class FakeEncoder:
    """2-d embeddings: [1, 0] for "threat" sentences, else [0, 1]; records what it saw."""

    def __init__(self):
        self.seen = []

    def encode(self, texts):
        self.seen.append(list(texts))
        return np.array(
            [[1.0, 0.0] if "threat" in t else [0.0, 1.0] for t in texts], dtype=np.float32
        )


@pytest.fixture
def folder(tmp_path):
    # Head: dim 0 (threat) -> unwilling, dim 1 -> willing.
    W = np.array([[0.0, 5.0], [5.0, 0.0], [0.0, 0.0]], dtype=np.float32)
    meta = {
        "version": "fake-cascade-v0",
        "base": "fake-base-v0",
        "gate": {"threshold": 0.05, "keywords": False},
        "stance_head": {"labels": list(STANCES), "temperature": 1.0},
    }
    return save_cascade(tmp_path / "fake-cascade-v0", meta, W, np.zeros(3, dtype=np.float32))


def test_gate_routes_only_plausible_stance_sentences(folder):
    enc = FakeEncoder()
    clf = CascadeClassifier(folder, FakeBase(), stage2=enc)
    texts = [
        "ready for talks",
        "a drone hit a substation",
        "maybe later",
        "talks or a threat of force",
    ]
    out = clf.predict(texts)
    assert enc.seen == [["ready for talks", "maybe later", "talks or a threat of force"]]
    assert clf.last_gated == 3
    assert [o.stance for o in out] == ["willing", "none", "willing", "unwilling"]
    assert out[3].stance_probs["unwilling"] == pytest.approx(out[3].stance_score)
    # action and target stay the base model's
    assert (out[1].action, out[1].target, out[1].stance_score) == ("strike", "energy", 0.99)
    assert clf.version == "fake-cascade-v0"
    assert json.loads((folder / "model.json").read_text())["kind"] == "cascade"


def test_nothing_gated_never_loads_the_second_encoder(folder):
    clf = CascadeClassifier(folder, FakeBase())  # stage2 unset: loading it would need mpnet
    out = clf.predict(["a drone hit a substation", "nothing here"])
    assert clf.last_gated == 0 and clf._stage2 is None
    assert [o.stance for o in out] == ["none", "none"]


def test_keyword_gate_and_threshold():
    outs = FakeBase().predict(["ready for talks", "maybe later", "plain"])
    assert gate(outs, ["ready for talks", "maybe later", "plain"], 0.05) == [0, 1]
    assert gate(outs, ["ready for talks", "maybe later", "plain"], 0.05, keywords=True) == [0]
    assert gate(outs, ["ready for talks", "maybe later", "plain"], 0.5) == [0]


def test_incomplete_folder_is_one_clear_error(tmp_path):
    (tmp_path / "model.json").write_text(json.dumps({"version": "x", "gate": {}}))
    with pytest.raises(ModelError, match="incomplete"):
        CascadeClassifier(tmp_path, FakeBase())


def _tiny_mpnet():
    """A randomly initialised two-block MPNet (no download): the layer names of all-mpnet."""
    import torch
    from transformers import MPNetConfig, MPNetModel

    torch.manual_seed(0)
    cfg = MPNetConfig(
        vocab_size=50,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=40,
    )
    return MPNetModel(cfg).eval()


def test_lora_adapts_every_mpnet_attention_and_feed_forward_layer():
    from detector.nlp.lora import adapted_linears

    names = sorted(adapted_linears(_tiny_mpnet()))
    assert len(names) == 12  # q, k, v, o, intermediate, output in each of 2 blocks
    assert "encoder.layer.0.attention.attn.q" in names
    assert "encoder.layer.1.output.dense" in names


def test_a_fine_tuned_stage2_merges_its_adapter_at_load(tmp_path, monkeypatch):
    import torch

    from detector.nlp import mpnet
    from detector.nlp.lora import adapted_linears

    model = _tiny_mpnet()
    before = {n: m.weight.detach().clone() for n, m in adapted_linears(model).items()}
    rng = np.random.default_rng(0)
    adapter = {}
    for name, lin in adapted_linears(model).items():
        adapter[f"{name}.A"] = rng.normal(size=(2, lin.in_features)).astype(np.float32)
        adapter[f"{name}.B"] = rng.normal(size=(lin.out_features, 2)).astype(np.float32)
    meta = {
        "version": "fake-cascade-v1",
        "base": "fake-base-v0",
        "gate": {"threshold": 0.05},
        "stance_head": {"labels": list(STANCES), "adapter": {"kind": "lora", "scale": 2.0}},
    }
    W = np.zeros((3, 2), dtype=np.float32)
    folder = save_cascade(tmp_path / "v1", meta, W, np.zeros(3, np.float32), adapter=adapter)
    assert json.loads((folder / "model.json").read_text())["stance_head"]["adapter"] == {
        "kind": "lora",
        "scale": 2.0,
        "file": "lora.npz",
    }
    seen = {}

    class Loaded:
        def __init__(self, **kw):
            seen.update(kw)
            kw["adapt"](model)

        def encode(self, texts):
            return np.zeros((len(texts), 2), dtype=np.float32)

    monkeypatch.setattr(mpnet, "MpnetEncoder", Loaded)
    clf = CascadeClassifier(folder, FakeBase())
    clf.predict(["ready for talks"])
    assert seen["bf16"] is False and clf.last_gated == 1
    name = "encoder.layer.1.attention.attn.v"
    lin = adapted_linears(model)[name]
    expected = before[name] + 2.0 * torch.from_numpy(adapter[f"{name}.B"] @ adapter[f"{name}.A"])
    assert torch.allclose(lin.weight, expected, atol=1e-5)


def _overrule_folder(tmp_path, **head):
    # Head: dim 0 (threat) -> none 0.9, unwilling 0.09, willing 0.01; dim 1 -> willing.
    W = np.array([[0.0, 5.0], [np.log(9.0), 0.0], [np.log(90.0), 0.0]], dtype=np.float32)
    meta = {
        "version": "fake-overrule-v0",
        "base": "fake-base-v0",
        "gate": {"threshold": 0.0, "keywords": False, "labels": ["willing", "unwilling"]},
        "stance_head": {"labels": list(STANCES), "temperature": 1.0, **head},
    }
    return save_cascade(tmp_path / "fake-overrule-v0", meta, W, np.zeros(3, dtype=np.float32))


def test_an_overrule_cascade_changes_only_the_base_claims_its_head_finds_implausible(tmp_path):
    enc = FakeEncoder()
    clf = CascadeClassifier(
        _overrule_folder(tmp_path, mode="overrule", overrule_below=0.2), FakeBase(), stage2=enc
    )
    texts = ["ready for talks", "talks or a threat of force", "maybe later", "a drone hit"]
    base = FakeBase().predict(texts)
    out = clf.predict(texts)
    # Only the base's claims reach mpnet; "maybe later" (base: none) does not.
    assert enc.seen == [["ready for talks", "talks or a threat of force"]]
    assert [o.stance for o in out] == ["willing", "none", "none", "none"]
    assert out[0] == base[0]  # the head agrees: the base's label, score and probabilities
    assert out[1].stance_probs["willing"] < 0.2
    assert out[1].stance_score == pytest.approx(out[1].stance_probs["none"])
    assert out[1].action == base[1].action
    # With a bar below the head's P(willing) of the threat, nothing is overruled.
    strict = CascadeClassifier(
        _overrule_folder(tmp_path / "b", mode="overrule", overrule_below=0.001),
        FakeBase(),
        stage2=FakeEncoder(),
    )
    assert [o.stance for o in strict.predict(texts)] == [o.stance for o in base]


@pytest.mark.parametrize(
    "head",
    [{"mode": "overrule"}, {"mode": "overrule", "overrule_below": 0}, {"mode": "veto"}],
)
def test_overrule_without_its_bar_or_an_unknown_mode_is_refused(tmp_path, head):
    with pytest.raises(ModelError, match="stance_head.mode must be one of decide, overrule"):
        CascadeClassifier(_overrule_folder(tmp_path, **head), FakeBase(), stage2=FakeEncoder())


def test_a_cascade_that_strips_the_reporting_tail_shows_the_head_only_what_was_said(tmp_path):
    enc = FakeEncoder()
    folder = _overrule_folder(
        tmp_path,
        mode="overrule",
        overrule_below=0.2,
        preprocessing={"reporting_tail": "strip"},
    )
    clf = CascadeClassifier(folder, FakeBase(), stage2=enc)
    texts = ["We are ready for talks at any time, Peskov said.", "ready for talks"]
    out = clf.predict(texts)
    assert enc.seen == [["We are ready for talks at any time.", "ready for talks"]]
    assert [o.stance for o in out] == ["willing", "willing"]
    keep = CascadeClassifier(
        _overrule_folder(tmp_path / "keep", mode="overrule", overrule_below=0.2),
        FakeBase(),
        stage2=(enc := FakeEncoder()),
    )
    keep.predict(texts)
    assert enc.seen == [texts]


def test_an_unknown_reporting_tail_is_refused(tmp_path):
    folder = _overrule_folder(
        tmp_path, mode="overrule", overrule_below=0.2, preprocessing={"reporting_tail": "drop"}
    )
    with pytest.raises(ModelError, match="reporting_tail must be one of keep, strip, not 'drop'"):
        CascadeClassifier(folder, FakeBase(), stage2=FakeEncoder())
