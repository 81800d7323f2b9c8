"""A distilled model that keeps only some encoder layers (model.json ``encoder_layers``)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from detector.errors import ModelError
from detector.nlp.classifier import HeadClassifier, adapter_key, shipped_artifacts
from detector.nlp.encoder import layer_subset

TEACHER = shipped_artifacts() / "minilm-lora-v5"


def _student(tmp_path, layers, adapter_layer=1):
    """A two-layer student artifact: the teacher's heads and a tiny adapter on one layer."""
    folder = tmp_path / "student"
    folder.mkdir()
    shutil.copy(TEACHER / "heads.npz", folder / "heads.npz")
    meta = json.loads((TEACHER / "model.json").read_text())
    rng = np.random.default_rng(0)
    name = f"encoder.layer.{adapter_layer}.attention.self.query"
    np.savez(
        folder / "lora.npz",
        **{
            f"{name}.A": rng.normal(0, 0.01, (1, 384)).astype(np.float16),
            f"{name}.B": rng.normal(0, 0.01, (384, 1)).astype(np.float16),
        },
    )
    meta.update(
        version="test-student",
        encoder_layers=layers,
        adapter={"kind": "lora", "file": "lora.npz", "rank": 1, "scale": 1.0, "layers": 1},
    )
    (folder / "model.json").write_text(json.dumps(meta))
    return folder


def test_layer_subset_forms():
    assert layer_subset(None) is None
    assert layer_subset(6) is None  # all six: the full model
    assert layer_subset(4) == [0, 1, 2, 3]
    assert layer_subset([0, 2, 4, 5]) == [0, 2, 4, 5]
    for bad in (0, 7, [2, 1], [0, 0], [6], "4", True):
        with pytest.raises(ModelError, match="encoder_layers"):
            layer_subset(bad)


def test_truncated_model_embeds_normalised(tmp_path):
    clf = HeadClassifier(_student(tmp_path, [0, 5]), encoder_backend="torch")
    assert clf.encoder_layers == [0, 5]
    assert len(clf.encoder.model.encoder.layer) == 2
    X = clf.encoder.encode(["Moscow is open to talks.", "Drones hit a power plant overnight."])
    assert X.shape == (2, 384)
    assert np.allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    assert len(clf.predict(["Moscow is open to talks."])) == 1


def test_adapter_for_a_dropped_layer_is_refused(tmp_path):
    clf = HeadClassifier(_student(tmp_path, 2, adapter_layer=4), encoder_backend="torch")
    with pytest.raises(ModelError, match="lacks"):
        _ = clf.encoder


def test_export_key_differs_by_layers(tmp_path):
    lora = TEACHER / "lora.npz"
    keys = {
        adapter_key(lora, 2.0),
        adapter_key(lora, 2.0, [0, 1, 2, 3]),
        adapter_key(lora, 2.0, [0, 1, 2]),
        adapter_key(lora, 2.0, [0, 2, 4, 5]),
    }
    assert len(keys) == 4
    # The full model's key is what it was before layers existed: its cached exports stay valid.
    import hashlib

    assert adapter_key(lora, 2.0) == hashlib.sha256(lora.read_bytes()).hexdigest() + ":2.0"
