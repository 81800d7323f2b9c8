"""models/train_lora.py with the open-licensed stance rows (issue 15): what it does when the
open sources are absent, and that the rows' weight enters the stance loss only as a weight."""

import json

import pytest

torch = pytest.importorskip("torch")

from models.train_lora import load_open, weighted_ce  # noqa: E402


def test_absent_sources_train_without_the_open_rows(tmp_path, capsys):
    labels = tmp_path / "open_labels.jsonl"
    labels.write_text(
        json.dumps(
            {
                "source": "whitehouse",
                "doc": "a.md",
                "block": 1,
                "sent": 0,
                "hash": "0" * 64,
                "stance": "none",
                "speaker": "USA",
                "kind": "plain",
            }
        )
        + "\n"
    )
    rows, info = load_open(labels, tmp_path / "no-open", tmp_path / "no-real")
    assert rows == [] and info["used"] is False and info["reason"] == "open sources absent"
    assert len(info["labels_sha256"]) == 64
    assert "open source whitehouse absent" in capsys.readouterr().out


def test_an_absent_label_file_is_said_and_skipped(tmp_path, capsys):
    rows, info = load_open(tmp_path / "none.jsonl", tmp_path, tmp_path)
    assert rows == [] and info == {
        "file": str(tmp_path / "none.jsonl"),
        "used": False,
        "reason": "labels file absent",
    }
    assert "training without them" in capsys.readouterr().out


def test_weighted_ce_equals_the_plain_loss_at_unit_weights_and_weights_rows():
    torch.manual_seed(0)
    logits, y = torch.randn(6, 3), torch.tensor([0, 1, 2, 2, 1, 0])
    cw = torch.tensor([2.0, 1.0, 0.5])
    plain = torch.nn.CrossEntropyLoss(weight=cw)(logits, y)
    assert torch.allclose(weighted_ce(logits, y, cw, torch.ones(6)), plain)
    # a row of weight 3 counts as three copies of it
    rw = torch.tensor([3.0, 1, 1, 1, 1, 1])
    rep = torch.cat([logits[:1], logits[:1], logits])
    assert torch.allclose(
        weighted_ce(logits, y, cw, rw),
        torch.nn.CrossEntropyLoss(weight=cw)(rep, torch.cat([y[:1], y[:1], y])),
    )


def test_length_batches_cover_every_row_once_and_are_seeded():
    import numpy as np

    from models.train_lora import length_batches

    lengths = np.random.default_rng(1).integers(5, 64, size=3333)
    a = length_batches(lengths, 32, np.random.default_rng(13))
    b = length_batches(lengths, 32, np.random.default_rng(13))
    assert sorted(np.concatenate(a).tolist()) == list(range(3333))
    assert all((x == y).all() for x, y in zip(a, b)) and len(a) == len(b)
    assert max(len(x) for x in a) == 32


def test_v7_is_shipped_selectable_records_its_open_data_and_is_not_the_default():
    from detector.nlp.classifier import DEFAULT_MODEL_VERSION, available_versions, load_classifier

    assert DEFAULT_MODEL_VERSION != "minilm-lora-v7"  # v7 is not clearly better (its card)
    assert {"minilm-lora-v5", "minilm-lora-v7"} <= set(available_versions())
    clf = load_classifier("minilm-lora-v7")
    assert (clf.preprocessing.max_length, clf.preprocessing.run_max_length) == (64, 128)
    open_rec = clf.meta["training_data"]["open"]
    assert open_rec["used"] and open_rec["weight"] == 0.5 and open_rec["n_missing"] == 0
    assert {s["licence"] for s in open_rec["sources"].values()} == {"CC0-1.0", "CC-BY-4.0"}
    assert "models/data/sentences_threats.jsonl" in clf.meta["training_data"]["files"]
