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
from ..vocab import ACTIONS, STANCES, TARGETS  # noqa: F401  (the heads' label orders; re-exported)

DEFAULT_MODEL_VERSION = "minilm-lora-v5"


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

    def __init__(self, folder: Path, encoder=None, encoder_backend: str | None = None):
        self.folder = Path(folder)
        try:
            self.meta = json.loads((self.folder / "model.json").read_text())
            weights = np.load(self.folder / "heads.npz")
        except (OSError, ValueError) as exc:
            raise ModelError(f"model folder {self.folder} is incomplete ({exc}); retrain with "
                             "python models/train_head.py") from exc
        from .encoder import encoder_backend as resolve_backend

        self.base_version = self.meta["version"]
        self.encoder_backend = resolve_backend(encoder_backend)
        # The int8 encoder gives slightly different embeddings, so different labels on ~2% of
        # sentences: its predictions carry their own version and never mix with the exact ones
        # (torch, or onnx fp32, which equals torch to 2e-7).
        self.version = (f"{self.base_version}+{self.encoder_backend}"
                        if self.encoder_backend == "onnx-int8" else self.base_version)
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
                self._encoder = self._adapted_encoder(adapter)
            else:
                from .encoder import load_encoder
                self._encoder = load_encoder(self.encoder_backend)
        return self._encoder

    def _adapted_encoder(self, adapter: dict):
        """Adapted (LoRA-merged) weights: a private encoder, never the shared frozen one. On
        ONNX backends the merged model is exported once, keyed by the adapter file's hash."""
        import hashlib

        from .encoder import Encoder, OnnxEncoder, onnx_available
        from .lora import merge_lora

        file, scale = self.folder / adapter["file"], float(adapter["scale"])
        backend = self.encoder_backend
        if backend == "auto":
            backend = "onnx" if onnx_available() else "torch"
        if backend != "torch":
            key = hashlib.sha256(file.read_bytes()).hexdigest() + f":{scale}"
            try:
                return OnnxEncoder(int8=backend == "onnx-int8", adapt_key=key,
                                   adapt=lambda model: merge_lora(model, file, scale))
            except ModelError as exc:
                if self.encoder_backend != "auto":
                    raise
                import logging
                logging.getLogger(__name__).warning("ONNX encoder unavailable (%s); using torch", exc)
        enc = Encoder()
        merge_lora(enc.model, file, scale)
        return enc

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


def load_classifier(version: str | None = None, encoder_backend: str | None = None
                    ) -> SentenceClassifier:
    """Model ``version`` on an encoder backend (default: $DETECTOR_ENCODER, else torch). A
    version with a backend suffix ("minilm-head-v1+onnx-int8") names both."""
    version = version or DEFAULT_MODEL_VERSION
    if "+" in version:
        version, suffix = version.split("+", 1)
        if encoder_backend and encoder_backend != suffix:
            raise ModelError(f"model version {version}+{suffix} names encoder {suffix}, "
                             f"but {encoder_backend} was asked for; drop one of them")
        encoder_backend = suffix
    for d in models_dirs():
        folder = d / version
        if (folder / "model.json").is_file():
            return HeadClassifier(folder, encoder_backend=encoder_backend)
    have = ", ".join(available_versions()) or "none"
    raise ModelError(f"model version {version!r} not found (available: {have}); "
                     "train it with python models/train_head.py or pick another --model")
