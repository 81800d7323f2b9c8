"""Sentence and document labels (schema v1): one ``Annotator`` owns every part of it.

An ``Annotator`` is built once from its parts (the sentence classifier, the spaCy pipelines,
the gazetteers, the speaker ``Attributor``, the ``StrikeAttributor`` and the strike
``DetailsExtractor``, the last three side by side, sharing the gazetteers and the one spaCy
load) and serves the pipeline, the CLI and the evaluation scripts:

* ``split(texts)``: the sentences of each text;
* ``annotate(sentences)``: a ``SentenceLabel`` per ``SentenceInput``;
* ``classify_documents(docs)``: split -> annotate -> regroup -> a ``DocumentLabel`` per
  ``DocumentInput`` (the document-level fields of the classify contract and its sentences).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..records import SentenceLabel
from ..settings import Settings
from ..vocab import TARGET_SEVERITY
from .attribution import Attributor
from .classifier import SentenceClassifier, load_classifier
from .gazetteer import Gazetteer, actor_gazetteer, strike_gazetteer
from .sentences import split_sentences
from .spacy_models import SpacyPipelines
from .strike_attribution import StrikeAttributor, load_adversaries
from .strike_details import DetailsExtractor


@dataclass(frozen=True)
class SentenceInput:
    """One sentence to label. ``default_speaker``: its source's speaker when the sentence names
    none; ``home``: its outlet's home country (bare titles, "the enemy")."""

    text: str
    default_speaker: str | None = None
    home: str | None = None


@dataclass(frozen=True)
class DocumentInput:
    """One document to classify; ``default_speaker`` and ``home`` as for its sentences."""

    text: str
    default_speaker: str | None = None
    home: str | None = None


@dataclass(frozen=True)
class DocumentLabel:
    """Document-level labels (the classify contract's fields) and its sentences' labels."""

    stance: str
    stance_score: float
    speaker: str | None
    action: str
    target: str | None
    actor: str | None
    launched: int | None
    destroyed: int | None
    weapons: tuple[str, ...]
    places: tuple[str, ...]
    model_version: str
    sentences: tuple[str, ...] = ()
    labels: tuple[SentenceLabel, ...] = ()

    def record(self) -> dict:
        """The classify contract's record (without its id), fields in the contract's order."""
        return dict(
            stance=self.stance,
            stance_score=self.stance_score,
            speaker=self.speaker,
            action=self.action,
            target=self.target,
            actor=self.actor,
            launched=self.launched,
            destroyed=self.destroyed,
            weapons=list(self.weapons),
            places=list(self.places),
            model_version=self.model_version,
            sentences=[
                dict(
                    text=s,
                    stance=lab.stance,
                    stance_score=round(lab.stance_score, 4),
                    speaker=lab.speaker,
                    action=lab.action,
                    target=lab.target,
                    actor=lab.actor,
                    target_actor=lab.target_actor,
                    launched=lab.launched,
                    destroyed=lab.destroyed,
                    weapons=list(lab.weapons),
                    places=list(lab.places),
                )
                for s, lab in zip(self.sentences, self.labels)
            ],
        )


class Annotator:
    """Labels sentences and documents with one classifier and the attribution rules.

    The parts default to ones built here from shared gazetteers and one spaCy load; pass them
    to share or replace them (tests pass a fake classifier, ``use_parser=False`` skips the
    dependency parse)."""

    def __init__(
        self,
        classifier: SentenceClassifier,
        *,
        spacy: SpacyPipelines | None = None,
        gazetteer: Gazetteer | None = None,
        strike_names: Gazetteer | None = None,
        adversaries: dict[str, frozenset[str]] | None = None,
        use_parser: bool = True,
        use_ner: bool = True,
        speakers: Attributor | None = None,
        strikes: StrikeAttributor | None = None,
        details: DetailsExtractor | None = None,
    ):
        self.classifier = classifier
        self.spacy = spacy or SpacyPipelines()  # loaded at the first split, parse or NER
        gaz = gazetteer or actor_gazetteer()
        self.speakers = speakers or Attributor(gaz, use_parser=use_parser, spacy=self.spacy)
        self.strikes = strikes or StrikeAttributor(
            strike_names or strike_gazetteer(),
            adversaries if adversaries is not None else load_adversaries(),
            use_parser=use_parser,
            spacy=self.spacy,
        )
        self.details = details or DetailsExtractor(use_ner=use_ner, actors=gaz, spacy=self.spacy)
        # Two annotate calls may run at once (the classify stage keeps two batches in flight,
        # so one's attribution fills the core the other's encoder leaves idle). The encoder
        # is safe to share; spaCy and the attribution caches are not: they run one at a time.
        self._attribution_lock = threading.Lock()

    @classmethod
    def load(
        cls,
        model_version: str | None = None,
        settings: Settings | None = None,
        *,
        encoder: str | None = None,
        threads: int | None = None,
        cache_dir: Path | None = None,
        models_dir: Path | None = None,
    ) -> Annotator:
        """The annotator of a model version (default: the default model) with ``settings``
        (entry points pass ``Settings.from_env()``; default ``Settings()``), the keyword
        arguments overriding them."""
        settings = (settings or Settings()).with_(
            encoder=encoder, threads=threads, cache_dir=cache_dir, models_dir=models_dir
        )
        # An explicit ``encoder`` wins; a version with a backend suffix ("...+onnx-int8")
        # names its own, which the settings' (environment's) backend does not override.
        if encoder is None and model_version and "+" in model_version:
            backend = None
        else:
            backend = settings.encoder
        classifier = load_classifier(
            model_version,
            backend,
            models_dir=settings.models_dir,
            threads=settings.threads,
            cache_dir=settings.cache_dir,
        )
        return cls(classifier)

    @property
    def version(self) -> str:
        return self.classifier.version

    def split(self, texts: list[str]) -> list[list[str]]:
        """Sentences of each text (paragraph breaks are sentence breaks)."""
        return split_sentences(texts, self.spacy)

    def annotate(self, sentences: list[SentenceInput]) -> list[SentenceLabel]:
        """Labels of each sentence; strike details (counts, weapons, places) and strike actors
        for strike sentences only. Repeated sentences (same text, default speaker and home:
        wire headlines, reposts) are labelled once and share the label."""
        unique = list(dict.fromkeys(sentences))
        if len(unique) == len(sentences):
            return self._annotate(sentences)
        labels = dict(zip(unique, self._annotate(unique)))
        return [labels[s] for s in sentences]

    def _annotate(self, sentences: list[SentenceInput]) -> list[SentenceLabel]:
        texts = [s.text for s in sentences]
        defaults = [s.default_speaker for s in sentences]
        homes = [s.home for s in sentences]
        # The encoder (onnxruntime or torch, outside the GIL) and the dependency parse of the
        # attribution share nothing: run them side by side (5-15% faster on 2 cores).
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(self._speakers, texts, defaults, homes)
            heads = self.classifier.predict(texts)
            speakers = pending.result()
        with self._attribution_lock:
            return self._finish(texts, defaults, homes, heads, speakers)

    def _speakers(self, texts, defaults, homes):
        with self._attribution_lock:
            return self.speakers.speakers(texts, defaults, homes)

    def _finish(self, texts, defaults, homes, heads, speakers) -> list[SentenceLabel]:
        strike_idx = [i for i, h in enumerate(heads) if h.action == "strike"]
        strike_texts = [texts[i] for i in strike_idx]
        extracted: dict = {}
        actors: dict = {}
        if strike_idx:
            # The strike sentences' parse (attribution) and their entities (details) are both
            # spaCy, different components of the one load: side by side on two cores.
            with ThreadPoolExecutor(max_workers=1) as pool:
                parsed = pool.submit(self.strikes.parse, strike_texts)
                extracted = dict(zip(strike_idx, self.details.extract_many(strike_texts)))
                docs = parsed.result()
            # "The enemy" in a channel's own report is its adversary: the channel's side is
            # its home country, else its default speaker.
            actors = dict(
                zip(
                    strike_idx,
                    self.strikes.attribute(
                        strike_texts,
                        [homes[i] or defaults[i] for i in strike_idx],
                        [
                            [self.details.place_country(p) for p in extracted[i].places]
                            for i in strike_idx
                        ],
                        docs=docs,
                    ),
                )
            )
        out = []
        for i, (h, speaker) in enumerate(zip(heads, speakers)):
            actor = target_actor = None
            extra = {}
            if h.action == "strike":
                actor, target_actor = actors[i]
                d = extracted[i]
                extra = dict(
                    launched=d.launched, destroyed=d.destroyed, weapons=d.weapons, places=d.places
                )
            out.append(
                SentenceLabel(
                    stance=h.stance,
                    stance_score=h.stance_score,
                    action=h.action,
                    action_score=h.action_score,
                    target=h.target,
                    target_score=h.target_score,
                    speaker=speaker,
                    actor=actor,
                    target_actor=target_actor,
                    **extra,
                )
            )
        return out

    def classify_documents(self, docs: list[DocumentInput]) -> list[DocumentLabel]:
        """Split, annotate all sentences in one batch, regroup, and label each document; a
        document whose sentences name no speaker gets its ``default_speaker``."""
        split = self.split([d.text for d in docs])
        flat = [
            SentenceInput(s, d.default_speaker, d.home)
            for d, sents in zip(docs, split)
            for s in sents
        ]
        labels = iter(self.annotate(flat))
        out = []
        for d, sents in zip(docs, split):
            labs = [next(labels) for _ in sents]
            fields = document_label(labs)
            if fields["speaker"] is None:
                fields["speaker"] = d.default_speaker
            out.append(
                DocumentLabel(
                    **{
                        **fields,
                        "weapons": tuple(fields["weapons"]),
                        "places": tuple(fields["places"]),
                    },
                    model_version=self.version,
                    sentences=tuple(sents),
                    labels=tuple(labs),
                )
            )
        return out


def document_label(labels: list[SentenceLabel], willing_threshold: float = 0.5) -> dict:
    """Document-level fields of the classify contract from its sentences' labels."""
    if not labels:
        return dict(
            stance="none",
            stance_score=0.0,
            speaker=None,
            action="none",
            target=None,
            actor=None,
            **document_details([]),
        )
    willing = [x for x in labels if x.stance == "willing" and x.stance_score >= willing_threshold]
    unwilling = [x for x in labels if x.stance == "unwilling"]
    if willing:
        best = max(willing, key=lambda x: x.stance_score)
    elif unwilling:
        best = max(unwilling, key=lambda x: x.stance_score)
    else:
        best = max(labels, key=lambda x: x.stance_score if x.stance == "none" else 0.0)
    stance = best.stance if (willing or unwilling) else "none"
    strikes = [x for x in labels if x.action == "strike"]
    top_strike = max(
        strikes,
        key=lambda x: (TARGET_SEVERITY.get(x.target or "", 0), x.action_score),
        default=None,
    )
    return dict(
        stance=stance,
        stance_score=round(best.stance_score, 4),
        speaker=best.speaker,
        action="strike" if strikes else "none",
        target=top_strike.target if top_strike else None,
        actor=top_strike.actor if top_strike else None,
        **document_details(strikes),
    )


def _max(values) -> int | None:
    values = [v for v in values if v is not None]
    return max(values) if values else None


def document_details(strikes: list[SentenceLabel]) -> dict:
    """Document-level strike details from its strike sentences.

    Counts: the largest stated value per field, not the sum: a report's headline, lead and body
    usually repeat the same total ("Russia launched 476 drones ..." twice), and the largest
    figure is the night's total when the others are parts of it. Weapons and places: every
    mention once, in the order of first appearance."""
    weapons: list[str] = []
    places: list[str] = []
    for lab in strikes:
        weapons += [w for w in lab.weapons if w not in weapons]
        places += [p for p in lab.places if p not in places]
    return dict(
        launched=_max(x.launched for x in strikes),
        destroyed=_max(x.destroyed for x in strikes),
        weapons=weapons,
        places=places,
    )
