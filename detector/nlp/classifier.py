"""Sentence classifiers behind one interface, loadable by version.

A classifier computes labels (``predict``); it never writes anywhere. Attribution of speakers
and strike actors is a separate step (``detector.nlp.attribution``); ``detector.nlp.annotate``
combines the two into ``SentenceLabel`` records.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import ModelError
from ..vocab import ACTIONS, STANCES, TARGETS  # noqa: F401 (the scripts import them from here)
from .encoder import ENCODER_NAME

DEFAULT_MODEL_VERSION = "minilm-mpnet-overrule-v12"
# Encoder backends whose labels differ from torch's on some sentences: a classifier on one
# reports its version with the backend as a suffix ("minilm-lora-v5+onnx-q8").
APPROXIMATE_BACKENDS = ("onnx-int8", "onnx-q8", "torch-bf16")


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


def shipped_artifacts() -> Path:
    """The model artifacts shipped in the package (detector/artifacts, package data)."""
    return Path(str(resources.files("detector") / "artifacts"))


def models_dirs(models_dir: Path | str | None = None) -> list[Path]:
    """Where model artifacts are looked for: ``models_dir`` (``Settings.models_dir``), then
    the package's own."""
    return ([Path(models_dir)] if models_dir else []) + [shipped_artifacts()]


def available_versions(models_dir: Path | str | None = None) -> list[str]:
    found: set[str] = set()
    for d in models_dirs(models_dir):
        if d.is_dir():
            found.update(p.parent.name for p in d.glob("*/model.json"))
    return sorted(found)


@dataclass(frozen=True)
class Preprocessing:
    """How a model turns text into the embedding its heads read, recorded in model.json
    ("preprocessing"): the same at training and at inference unless ``inference_max_length``
    says otherwise (kept where running at the training length would change labels)."""

    encoder: str = ENCODER_NAME
    max_length: int = 128  # the tokenizer's truncation at training
    pooling: str = "mean"
    normalise: str = "l2"
    inference_max_length: int | None = None

    @property
    def run_max_length(self) -> int:
        return self.inference_max_length or self.max_length

    @classmethod
    def from_meta(cls, meta: dict) -> Preprocessing:
        rec = meta.get("preprocessing") or {}
        if not rec:  # artifacts older than the record: the training section's length
            rec = {"max_length": meta.get("training", {}).get("max_length", 128)}
        known = {k: v for k, v in rec.items() if k in cls.__dataclass_fields__}
        pre = cls(**known)
        if pre.pooling != "mean" or pre.normalise != "l2" or pre.encoder != ENCODER_NAME:
            raise ModelError(
                f"model preprocessing {rec} is not supported (only mean pooling, "
                f"l2 normalisation and {ENCODER_NAME}); update detector"
            )
        return pre

    def as_meta(self) -> dict:
        out = dict(
            encoder=self.encoder,
            max_length=self.max_length,
            pooling=self.pooling,
            normalise=self.normalise,
        )
        if self.inference_max_length:
            out["inference_max_length"] = self.inference_max_length
        return out


def adapter_key(file: Path, scale: float, layers: list[int] | None = None) -> str:
    """The ONNX export cache key of an adapted encoder: the adapter file's hash, its scale and
    the kept layers (the same adapter on other layers is another model)."""
    import hashlib

    key = hashlib.sha256(Path(file).read_bytes()).hexdigest() + f":{scale}"
    if layers is not None:
        key += ":layers=" + ",".join(map(str, layers))
    return key


HEADS = ("stance", "action", "target")
DECISION_RULES = ("min_prob", "topic")


@dataclass(frozen=True)
class Decision:
    """How a head's label is decided from its probabilities, recorded in model.json
    ("decision"); absent, the label is the argmax. Two rules, per head:

        "decision": {"stance": {"min_prob": {"willing": 0.725}}}
        "decision": {"stance": {"topic": {"labels": ["willing", "unwilling"],
                                          "pattern": "\\b(peace\\w*|talks?|...)\\b"}}}

    ``min_prob``: a label is eligible when its probability reaches its minimum (labels not
    named are always eligible). ``topic``: the named labels are eligible only for a sentence in
    which the pattern (a Python regular expression, case-insensitive) occurs: a peace claim
    must be about peace, talks or the war (on the real stream most confident claims without
    such a word are greetings, thanks and other business). The decided label is the most
    probable eligible one, so a sentence whose most probable label is not eligible gets the
    next most probable eligible label. At least one label of the head must be always
    eligible. The probabilities themselves are not changed."""

    min_prob: dict[str, np.ndarray]  # head -> minimum per label, in the head's label order
    # head -> (pattern, mask of the labels that need it), in the head's label order
    topic: dict[str, tuple[re.Pattern, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def from_meta(cls, meta: dict, labels: dict[str, list[str]], where: str) -> Decision | None:
        rec = meta.get("decision")
        if rec is None:
            return None
        if not isinstance(rec, dict):
            raise ModelError(f"{where}: decision must be an object, not {rec!r}")
        min_prob: dict[str, np.ndarray] = {}
        topic: dict[str, tuple[re.Pattern, np.ndarray]] = {}
        for head, rules in rec.items():
            if head not in HEADS:
                raise ModelError(
                    f"{where}: decision names head {head!r}; heads are {', '.join(HEADS)}"
                )
            if not isinstance(rules, dict) or set(rules) - set(DECISION_RULES):
                raise ModelError(
                    f"{where}: decision.{head} must be an object with "
                    f"{', '.join(DECISION_RULES)}, not {rules!r}"
                )
            mins = rules.get("min_prob", {})
            if not isinstance(mins, dict):
                raise ModelError(f"{where}: decision.{head}.min_prob must be an object")
            order = labels[head]
            thr = np.zeros(len(order))
            for label, value in mins.items():
                if label not in order:
                    raise ModelError(
                        f"{where}: decision.{head}.min_prob names label {label!r}; "
                        f"the {head} labels are {', '.join(order)}"
                    )
                if (
                    isinstance(value, bool)
                    or not isinstance(value, int | float)
                    or not 0.0 <= value <= 1.0
                ):
                    raise ModelError(
                        f"{where}: decision.{head}.min_prob.{label} is {value!r}; "
                        "it must be a probability between 0 and 1"
                    )
                thr[order.index(label)] = float(value)
            if (thr > 0).all():
                raise ModelError(
                    f"{where}: decision.{head}.min_prob sets a minimum on every label; leave "
                    "at least one label without one, so that every sentence gets a label"
                )
            min_prob[head] = thr
            if "topic" in rules:
                topic[head] = cls._topic(rules["topic"], order, f"{where}: decision.{head}.topic")
                if not ((thr == 0) & ~topic[head][1]).any():
                    raise ModelError(
                        f"{where}: decision.{head} leaves no label free of both min_prob and "
                        "topic; keep one label (e.g. none) without either, so that every "
                        "sentence gets a label"
                    )
        return cls(min_prob, topic)

    @staticmethod
    def _topic(rule, order: list[str], where: str) -> tuple[re.Pattern, np.ndarray]:
        if not isinstance(rule, dict) or set(rule) != {"labels", "pattern"}:
            raise ModelError(f"{where} must be an object with labels and pattern, not {rule!r}")
        labels = rule["labels"]
        if not isinstance(labels, list) or not labels or set(labels) - set(order):
            raise ModelError(f"{where}.labels must be a list of {', '.join(order)}: {labels!r}")
        if set(labels) == set(order):
            raise ModelError(f"{where}.labels names every label; leave one without a topic")
        try:
            pattern = re.compile(str(rule["pattern"]), re.IGNORECASE)
        except re.error as exc:
            raise ModelError(f"{where}.pattern is not a regular expression ({exc})") from None
        return pattern, np.array([lab in labels for lab in order])

    def reads_text(self) -> bool:
        return bool(self.topic)

    def decide(self, head: str, probs: np.ndarray, texts: list[str] | None = None) -> np.ndarray:
        """The decided label index per row of ``probs`` (n, labels); ``texts``: the sentences,
        needed when the head has a topic rule."""
        thr = self.min_prob.get(head)
        eligible = probs >= thr if thr is not None else np.ones(probs.shape, dtype=bool)
        rule = self.topic.get(head)
        if rule is not None:
            if texts is None or len(texts) != len(probs):
                raise ModelError(
                    f"the {head} decision of this model reads the sentence (a topic rule); "
                    "classify texts with predict(texts), not bare embeddings"
                )
            pattern, needs = rule
            off_topic = np.array([pattern.search(t) is None for t in texts], dtype=bool)
            eligible = eligible & ~(off_topic[:, None] & needs[None, :])
        return np.where(eligible, probs, -1.0).argmax(axis=1)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class HeadClassifier:
    """Linear softmax heads (stance, action, target) on MiniLM sentence embeddings (frozen, or
    with merged LoRA adapters): the one model class of training (``save``) and inference.

    Artifact folder: ``model.json`` (version, labels, temperatures, preprocessing, adapter, data
    hash, metrics), ``heads.npz`` (weights) and, for an adapted encoder, the adapter file.
    Temperatures come from the dev split (calibration). An optional ``decision`` block
    (``Decision``) replaces the argmax by a per-label minimum probability; the scores stay the
    probability of the decided label (so, with a decision rule, not always the largest one).
    """

    def __init__(
        self,
        folder: Path,
        encoder=None,
        encoder_backend: str | None = None,
        *,
        threads: int = 1,
        cache_dir: Path | None = None,
    ):
        self.folder = Path(folder)
        try:
            self.meta = json.loads((self.folder / "model.json").read_text())
            weights = np.load(self.folder / "heads.npz")
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"model folder {self.folder} is incomplete ({exc}); retrain with "
                "python -m models.train_lora"
            ) from exc
        from .encoder import encoder_backend as resolve_backend

        self.preprocessing = Preprocessing.from_meta(self.meta)
        self.threads = threads
        self.cache_dir = cache_dir
        self.base_version = self.meta["version"]
        self.encoder_backend = resolve_backend(encoder_backend)
        # The quantized encoders give slightly different embeddings, so different labels on
        # 0.2-2% of sentences: their predictions carry their own version and never mix with the
        # exact ones (torch, or onnx fp32, which equals torch to 2e-7).
        self.version = (
            f"{self.base_version}+{self.encoder_backend}"
            if self.encoder_backend in APPROXIMATE_BACKENDS
            else self.base_version
        )
        self.heads = {
            name: (weights[f"{name}_W"], weights[f"{name}_b"])
            for name in ("stance", "action", "target")
        }
        self.temperature = self.meta.get("temperature", {})
        self.labels = self.meta["labels"]
        self.decision = Decision.from_meta(self.meta, self.labels, str(self.folder / "model.json"))
        from .encoder import layer_subset

        # A distilled student runs only some of the encoder's layers (models/distill.py).
        self.encoder_layers = layer_subset(self.meta.get("encoder_layers"))
        if self.encoder_layers is not None and not self.meta.get("adapter"):
            raise ModelError(
                f"{self.folder / 'model.json'} sets encoder_layers without an adapter; "
                "retrain it with python -m models.distill"
            )
        self._encoder = encoder
        # Two classify batches may be in flight at once (pipeline.classify_new): one load.
        self._encoder_lock = threading.Lock()

    @property
    def encoder(self):
        with self._encoder_lock:
            return self._load_encoder()

    def _load_encoder(self):
        if self._encoder is None:
            adapter = self.meta.get("adapter")
            if adapter:
                self._encoder = self._adapted_encoder(adapter)
            else:
                from .encoder import load_encoder

                self._encoder = load_encoder(
                    self.encoder_backend,
                    threads=self.threads,
                    cache_dir=self.cache_dir,
                    max_length=self.preprocessing.run_max_length,
                )
        return self._encoder

    def _adapted_encoder(self, adapter: dict):
        """Adapted (LoRA-merged) weights: a private encoder, never the shared frozen one. On
        ONNX backends the merged model is exported once, keyed by ``adapter_key``."""
        from .encoder import Encoder, OnnxEncoder, onnx_available, truncate_layers
        from .lora import merge_lora

        file, scale = self.folder / adapter["file"], float(adapter["scale"])
        layers = self.encoder_layers

        def adapt(model):
            # Truncate first: a student's adapter names its layers as renumbered (0..K-1).
            truncate_layers(model, layers)
            merge_lora(model, file, scale)

        backend = self.encoder_backend
        if backend == "auto":
            backend = "onnx" if onnx_available() else "torch"
        if backend not in ("torch", "torch-bf16"):
            try:
                return OnnxEncoder(
                    backend=backend,
                    adapt_key=adapter_key(file, scale, layers),
                    adapt=adapt,
                    threads=self.threads,
                    cache_dir=self.cache_dir,
                    max_length=self.preprocessing.run_max_length,
                )
            except ModelError as exc:
                if self.encoder_backend != "auto":
                    raise
                import logging

                logging.getLogger(__name__).warning(
                    "ONNX encoder unavailable (%s); using torch", exc
                )
        return Encoder(
            threads=self.threads,
            max_length=self.preprocessing.run_max_length,
            adapt=adapt,
            bf16=backend == "torch-bf16",
        )

    def _probs(self, name: str, X: np.ndarray) -> np.ndarray:
        W, b = self.heads[name]
        return _softmax((X @ W.T + b) / float(self.temperature.get(name, 1.0)))

    def predict_embeddings(self, X: np.ndarray, texts: list[str] | None = None) -> list[HeadOutput]:
        """Labels from the sentences' embeddings (``texts``: the sentences themselves, which a
        decision with a topic rule reads)."""
        ps, pa, pt = (self._probs(n, X) for n in ("stance", "action", "target"))
        sl, al, tl = self.labels["stance"], self.labels["action"], self.labels["target"]
        if self.decision is None:
            ds, da, dt = ps.argmax(axis=1), pa.argmax(axis=1), pt.argmax(axis=1)
        else:
            ds, da, dt = (self.decision.decide(n, p, texts) for n, p in zip(HEADS, (ps, pa, pt)))
        out = []
        for i in range(len(X)):
            s, a = int(ds[i]), int(da[i])
            strike = al[a] == "strike"
            t = int(dt[i])
            out.append(
                HeadOutput(
                    stance=sl[s],
                    stance_score=float(ps[i, s]),
                    stance_probs={lab: float(ps[i, k]) for k, lab in enumerate(sl)},
                    action=al[a],
                    action_score=float(pa[i, a]),
                    target=tl[t] if strike else None,
                    target_score=float(pt[i, t]) if strike else None,
                )
            )
        return out

    def predict(self, texts: list[str]) -> list[HeadOutput]:
        return self.predict_embeddings(self.encoder.encode(texts), texts)

    @staticmethod
    def save(
        folder: Path,
        meta: dict,
        heads: dict[str, np.ndarray],
        preprocessing: Preprocessing,
        adapter: dict[str, np.ndarray] | None = None,
        adapter_meta: dict | None = None,
    ) -> Path:
        """Write an artifact folder that ``HeadClassifier(folder)`` loads: ``heads``
        ({"stance_W": ..., "stance_b": ..., ...}), ``meta`` (version, labels, temperature, ...)
        with the preprocessing and, for LoRA, the adapter arrays and their description."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(folder / "heads.npz", **heads)  # type: ignore[arg-type]  # numpy's stub types **kwds as allow_pickle
        meta = dict(meta, preprocessing=preprocessing.as_meta())
        if adapter is not None:
            adapter_meta = dict(
                adapter_meta or {}, file=(adapter_meta or {}).get("file", "lora.npz")
            )
            np.savez_compressed(folder / adapter_meta["file"], **adapter)  # type: ignore[arg-type]  # as above
            meta["adapter"] = adapter_meta
        (folder / "model.json").write_text(json.dumps(meta, indent=1) + "\n")
        return folder


def load_classifier(
    version: str | None = None,
    encoder_backend: str | None = None,
    *,
    models_dir: Path | str | None = None,
    threads: int = 1,
    cache_dir: Path | None = None,
) -> SentenceClassifier:
    """Model ``version`` (default: the default model) on an encoder backend (default auto). A
    version with a backend suffix ("minilm-head-v1+onnx-int8") names both. ``models_dir`` is
    searched before the package's artifacts; ``threads`` and ``cache_dir`` go to the encoder."""
    version = version or DEFAULT_MODEL_VERSION
    if "+" in version:
        version, suffix = version.split("+", 1)
        if encoder_backend and encoder_backend != suffix:
            raise ModelError(
                f"model version {version}+{suffix} names encoder {suffix}, "
                f"but {encoder_backend} was asked for; drop one of them"
            )
        encoder_backend = suffix
    folder = _artifact_folder(version, models_dir)
    if folder is not None:
        if _meta(folder).get("kind", "heads") == "cascade":
            return _load_cascade(folder, encoder_backend, models_dir, threads, cache_dir)
        return HeadClassifier(
            folder, encoder_backend=encoder_backend, threads=threads, cache_dir=cache_dir
        )
    have = ", ".join(available_versions(models_dir)) or "none"
    raise ModelError(
        f"model version {version!r} not found (available: {have}); "
        "train it with python -m models.train_lora or pick another --model"
    )


def model_scoring(
    version: str, method: str, models_dir: Path | str | None = None
) -> dict[str, float]:
    """The scorer thresholds model ``version``'s artifact is calibrated for under scoring
    ``method`` (model.json ``"scoring": {method: {"v3_min_share": 0.023, ...}}``; other keys
    of that record, such as how it was derived, are documentation). Empty for a model without
    such a record or not found among the artifacts (a classifier passed in as an object)."""
    folder = _artifact_folder(version.split("+", 1)[0], models_dir)
    if folder is None:
        return {}
    path = folder / "model.json"
    rec = _meta(folder).get("scoring", {})
    rec = rec.get(method, {}) if isinstance(rec, dict) else None
    if not isinstance(rec, dict):
        raise ModelError(f"{path}: scoring must map a method to an object, not {rec!r}")
    out = {}
    for key in SCORING_KEYS:
        if key in rec:
            value = rec[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
                raise ModelError(
                    f"{path}: scoring.{method}.{key} is {value!r}; it must be a share in (0, 1]"
                )
            out[key] = float(value)
    return out


# The scorer thresholds a model artifact may carry (ScoringConfig fields).
SCORING_KEYS = ("v3_min_share",)


def _artifact_folder(version: str, models_dir: Path | str | None) -> Path | None:
    """The first folder holding ``version``'s model.json: ``models_dir``, then the package's."""
    for d in models_dirs(models_dir):
        if (d / version / "model.json").is_file():
            return d / version
    return None


def _meta(folder: Path) -> dict:
    try:
        return json.loads((folder / "model.json").read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"cannot read {folder / 'model.json'} ({exc}); retrain that model"
        ) from exc


def _load_cascade(folder: Path, encoder_backend, models_dir, threads, cache_dir):
    """A cascade artifact: its base model (by version, on the asked backend) and its head."""
    from .cascade import CascadeClassifier

    base_version = _meta(folder)["base"]
    base = load_classifier(
        base_version, encoder_backend, models_dir=models_dir, threads=threads, cache_dir=cache_dir
    )
    return CascadeClassifier(folder, base, threads=threads, cache_dir=cache_dir)
