"""Sentence classifiers behind one interface, loadable by version.

A classifier computes labels (``predict``); it never writes anywhere. Attribution of speakers
and strike actors is a separate step (``detector.nlp.attribution``); ``detector.nlp.annotate``
combines the two into ``SentenceLabel`` records.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import ModelError

DEFAULT_MODEL_VERSION = "minilm-head-v1"
STANCES = ("willing", "unwilling", "none")
ACTIONS = ("strike", "none")
TARGETS = ("energy", "civilian", "military", "unspecified")


@dataclass(frozen=True)
class HeadOutput:
    stance: str
    stance_score: float
    stance_probs: dict[str, float]
    action: str
    action_score: float
    target: str | None
    target_score: float | None


class SentenceClassifier(Protocol):
    version: str

    def predict(self, texts: list[str]) -> list[HeadOutput]: ...


def models_dirs() -> list[Path]:
    """Where model artifacts are looked for: $DETECTOR_MODELS_DIR, then the repo's models/artifacts."""
    dirs = []
    if os.environ.get("DETECTOR_MODELS_DIR"):
        dirs.append(Path(os.environ["DETECTOR_MODELS_DIR"]))
    dirs.append(Path(__file__).resolve().parents[2] / "models" / "artifacts")
    return dirs


def available_versions() -> list[str]:
    found = set()
    for d in models_dirs():
        if d.is_dir():
            found.update(p.parent.name for p in d.glob("*/model.json"))
    return sorted(found)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class HeadClassifier:
    """Linear softmax heads (stance, action, target) on frozen MiniLM sentence embeddings.

    Artifact folder: ``model.json`` (version, labels, temperatures, data hash, metrics) and
    ``heads.npz`` (weights). Temperatures come from the dev split (calibration).
    """

    def __init__(self, folder: Path, encoder=None):
        self.folder = Path(folder)
        try:
            self.meta = json.loads((self.folder / "model.json").read_text())
            weights = np.load(self.folder / "heads.npz")
        except (OSError, ValueError) as exc:
            raise ModelError(f"model folder {self.folder} is incomplete ({exc}); retrain with "
                             "python models/train_head.py") from exc
        self.version = self.meta["version"]
        self.heads = {name: (weights[f"{name}_W"], weights[f"{name}_b"])
                      for name in ("stance", "action", "target")}
        self.temperature = self.meta.get("temperature", {})
        self.labels = self.meta["labels"]
        self._encoder = encoder

    @property
    def encoder(self):
        if self._encoder is None:
            adapter = self.meta.get("adapter")
            if adapter:
                # Adapted weights: a private encoder, never the shared frozen one.
                from .encoder import Encoder
                from .lora import merge_lora
                enc = Encoder()
                merge_lora(enc.model, self.folder / adapter["file"], float(adapter["scale"]))
                self._encoder = enc
            else:
                from .encoder import load_encoder
                self._encoder = load_encoder()
        return self._encoder

    def _probs(self, name: str, X: np.ndarray) -> np.ndarray:
        W, b = self.heads[name]
        return _softmax((X @ W.T + b) / float(self.temperature.get(name, 1.0)))

    def predict_embeddings(self, X: np.ndarray) -> list[HeadOutput]:
        ps, pa, pt = (self._probs(n, X) for n in ("stance", "action", "target"))
        sl, al, tl = self.labels["stance"], self.labels["action"], self.labels["target"]
        out = []
        for i in range(len(X)):
            s, a = int(ps[i].argmax()), int(pa[i].argmax())
            strike = al[a] == "strike"
            t = int(pt[i].argmax())
            out.append(HeadOutput(
                stance=sl[s], stance_score=float(ps[i, s]),
                stance_probs={lab: float(ps[i, k]) for k, lab in enumerate(sl)},
                action=al[a], action_score=float(pa[i, a]),
                target=tl[t] if strike else None,
                target_score=float(pt[i, t]) if strike else None))
        return out

    def predict(self, texts: list[str]) -> list[HeadOutput]:
        return self.predict_embeddings(self.encoder.encode(texts))


def load_classifier(version: str | None = None) -> SentenceClassifier:
    version = version or DEFAULT_MODEL_VERSION
    for d in models_dirs():
        folder = d / version
        if (folder / "model.json").is_file():
            return HeadClassifier(folder)
    have = ", ".join(available_versions()) or "none"
    raise ModelError(f"model version {version!r} not found (available: {have}); "
                     "train it with python models/train_head.py or pick another --model")
