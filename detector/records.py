"""Plain records passed between stages (ingest -> nlp -> score -> store).

Stages never call each other: each reads and writes these records. Ids are content hashes so
that writing the same record twice stores it once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

# The dates a record may carry (UTC), checked where data comes in (ingest rows, query filters):
# narrow enough that a typo (0001, 2999, 9999) cannot make the scorer build centuries of
# daily series, nor a date filter overflow at the calendar's ends.
DATE_MIN = datetime(1900, 1, 1, tzinfo=UTC)
DATE_MAX = datetime(2100, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def stable_hash(*parts: Any, length: int = 32) -> str:
    """Hex sha256 of the parts joined unambiguously; used as record id."""
    h = hashlib.sha256()
    for part in parts:
        data = json.dumps(part, sort_keys=True, ensure_ascii=False, default=str)
        h.update(len(data).to_bytes(8, "big"))
        # surrogatepass: a lone surrogate from a hostile source hashes instead of raising (the
        # bytes of every valid string, so every existing id, are unchanged).
        h.update(data.encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:length]


@dataclass(frozen=True)
class Document:
    """One statement (feed entry, CSV row, post) with its raw text kept."""

    source: str
    external_id: str  # guid / row id within the source: the identity of the entry
    text: str
    published_at: datetime | None
    url: str | None = None
    title: str | None = None
    speaker: str | None = None  # the source's default speaker, or the row's own
    location: str | None = None  # file path or URL it came from
    raw_hash: str | None = None  # hash of the raw payload it was parsed from

    @property
    def id(self) -> str:
        return stable_hash("doc", self.source, self.external_id)

    @property
    def content_hash(self) -> str:
        return stable_hash(
            self.text,
            self.title,
            self.url,
            self.speaker,
            self.published_at.isoformat() if self.published_at else None,
        )


@dataclass(frozen=True)
class StrikeEvent:
    """One reported strike (a report line, a dataset event)."""

    source: str
    external_id: str
    start: datetime  # UTC
    end: datetime | None
    actor: str | None  # who struck
    target_actor: str | None  # whose territory or assets were hit
    target_type: str  # energy | civilian | military | unspecified
    weapon: str | None = None
    place: str | None = None
    launched: float | None = None
    destroyed: float | None = None
    description: str | None = None
    location: str | None = None
    raw_hash: str | None = None
    revision: str | None = None  # the source's own version stamp (e.g. ACLED `timestamp`)

    @property
    def id(self) -> str:
        return stable_hash("strike", self.source, self.external_id)

    @property
    def content_hash(self) -> str:
        parts = [
            self.start.isoformat(),
            self.end.isoformat() if self.end else None,
            self.actor,
            self.target_actor,
            self.target_type,
            self.weapon,
            self.place,
            self.launched,
            self.destroyed,
            self.description,
        ]
        if self.revision is not None:  # only then, so that existing hashes stay as they were
            parts.append(self.revision)
        return stable_hash(*parts)


@dataclass(frozen=True)
class SentenceLabel:
    """A classifier's output for one sentence (label schema v1)."""

    stance: str  # willing | unwilling | none
    stance_score: float  # confidence of the predicted stance
    action: str  # strike | none
    action_score: float
    target: str | None  # energy | civilian | military | unspecified, only for strikes
    target_score: float | None
    speaker: str | None
    actor: str | None
    target_actor: str | None = None
    # Strike details (strike sentences only; detector.nlp.strike_details): counts when the text
    # states them, weapon and place mentions as written.
    launched: int | None = None
    destroyed: int | None = None
    weapons: tuple[str, ...] = ()
    places: tuple[str, ...] = ()

    def details(self) -> dict | None:
        """The strike details as stored in predictions.details (None for non-strikes)."""
        if self.action != "strike":
            return None
        return dict(
            launched=self.launched,
            destroyed=self.destroyed,
            weapons=list(self.weapons),
            places=list(self.places),
        )


@dataclass(frozen=True)
class StructuredStatement:
    """A machine-coded statement from structured data (e.g. GDELT CAMEO 036 "express intent to
    meet or negotiate"): a stance signal without text, kept apart from classified sentences."""

    source: str
    external_id: str
    date: date
    actor: str | None  # who expressed it
    counterpart: str | None  # towards whom
    stance: str  # willing | unwilling (schema v1 values)
    event_code: str  # the source's own code, e.g. CAMEO "036"
    goldstein: float | None = None
    url: str | None = None
    location: str | None = None
    raw_hash: str | None = None

    @property
    def id(self) -> str:
        return stable_hash("structured", self.source, self.external_id)

    @property
    def content_hash(self) -> str:
        return stable_hash(
            self.date.isoformat(),
            self.actor,
            self.counterpart,
            self.stance,
            self.event_code,
            self.goldstein,
            self.url,
        )


@dataclass(frozen=True)
class Commitment:
    """A declared ceasefire, moratorium or truce, checked against strikes in scope."""

    actor: str
    scope: str  # energy | civilian | all
    start: date
    end: date  # inclusive
    source: str = ""
    description: str = ""
    places: tuple[str, ...] = ()  # when given, only strikes whose place names one of them
    timezone: str = "UTC"  # in which start and end are whole days

    @property
    def id(self) -> str:
        parts: list[object] = [self.actor, self.scope, self.start.isoformat(), self.end.isoformat()]
        if self.places or self.timezone != "UTC":  # only then: older ids stay as they were
            parts += [sorted(self.places), self.timezone]
        return stable_hash("commitment", *parts)


@dataclass
class Flag:
    """A flagged period with its evidence ids."""

    kind: str  # contradiction | violation
    actor: str
    start: date
    end: date  # inclusive
    score: float
    p_value: float | None
    method: str
    rhetoric: float | None = None
    action: float | None = None
    statement_ids: list[str] = field(default_factory=list)
    strike_ids: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return stable_hash(
            "flag",
            self.method,
            self.kind,
            self.actor,
            self.start.isoformat(),
            self.end.isoformat(),
            self.details.get("commitment_id"),
            length=16,
        )


# --- what passes between the pipeline's stages ------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    """One sentence of a stored document, at position ``idx``."""

    document_id: str
    idx: int
    text: str

    @property
    def id(self) -> str:
        # Stored ids: this rule must not change (existing databases key predictions by it).
        return stable_hash("sent", self.document_id, self.idx, self.text)


@dataclass(frozen=True)
class PendingDocument:
    """A stored document not split into sentences yet."""

    id: str
    text: str
    speaker: str | None
    content_hash: str | None = None


@dataclass(frozen=True)
class PendingSentence:
    """A stored sentence without a prediction of the model version asked for."""

    id: str
    text: str
    default_speaker: str | None  # the document's speaker
    home: str | None  # its source's own country
    document_id: str | None = None


@dataclass(frozen=True)
class Quarantined:
    """A document (or one of its sentences) a stage could not process: kept, marked and
    reported, and skipped by that stage while ``key`` holds (split: the document's content
    hash, so a changed document is tried again; classify: the model version)."""

    stage: str  # split | classify
    document_id: str
    key: str
    reason: str
    sentence_id: str | None = None

    @property
    def id(self) -> str:
        return stable_hash("quarantine", self.stage, self.document_id, self.sentence_id, self.key)


# --- run counts: what a run did, stored as JSON in runs.counts --------------------------------


def _ints(cls, data: dict | None):
    data = data or {}
    return cls(**{f: int(data.get(f) or 0) for f in cls.__dataclass_fields__})


@dataclass
class IngestCounts:
    """Rows an ingest added and changed, summed over the sources."""

    documents_new: int = 0
    documents_updated: int = 0
    events_new: int = 0
    events_updated: int = 0
    structured_new: int = 0
    structured_updated: int = 0
    unchanged_payload: int = 0  # sources whose payload had not changed since the last fetch
    rows_refused: int = 0  # bad rows refused one by one (detector.ingest.validate)

    def __add__(self, other: IngestCounts) -> IngestCounts:
        return IngestCounts(
            **{f: getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__}
        )

    def to_json(self) -> dict:
        # Only the counts that occurred, as the runs written before these records stored them.
        return {f: v for f, v in vars(self).items() if v}

    @classmethod
    def from_json(cls, data: dict | None) -> IngestCounts:
        return _ints(cls, data)


@dataclass
class DeedsCounts:
    """What the deeds stage made of the stored strike sentences (score/deeds.py): reports (one
    per sentence classified strike, with an actor), events (structured rows and text-only
    events), merged (structured rows that text reports attached to), text_events (events known
    from text only; text_events_new of them not stored before), typed (structured rows whose
    target type came from text), links (event -> sentence)."""

    reports: int = 0
    events: int = 0
    merged: int = 0
    text_events: int = 0
    text_events_new: int = 0
    typed: int = 0
    links: int = 0

    def to_json(self) -> dict:
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: dict | None) -> DeedsCounts:
        return _ints(cls, data)


@dataclass
class ScoreCounts:
    """What a rescore left: flags in the database, added and removed ones, series rows."""

    flags: int = 0
    new_flags: int = 0
    removed_flags: int = 0
    series_rows: int = 0

    def to_json(self) -> dict:
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: dict | None) -> ScoreCounts:
        return _ints(cls, data)


@dataclass
class RunCounts:
    """One run's counts per stage (None: the stage did not run, or not to its end)."""

    ingest: IngestCounts | None = None
    sentences_new: int | None = None
    predictions_new: int | None = None
    deeds: DeedsCounts | None = None
    score: ScoreCounts | None = None
    since: str | None = None  # a backfill's first date (ISO)
    reclassify: str | None = None  # the model version of a reclassify run
    # a cluster run's cluster: address, workers, batches, worker_seconds (detector.cluster)
    cluster: dict | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    seconds: float | None = None
    quarantined: int | None = None  # documents/sentences a stage set aside in this run

    _ORDER = (
        "since",
        "reclassify",
        "cluster",
        "stage_seconds",
        "ingest",
        "sentences_new",
        "predictions_new",
        "deeds",
        "score",
        "quarantined",
        "seconds",
    )

    def to_json(self) -> dict:
        """The JSON object stored in runs.counts (keys of stages that did not run left out)."""
        out = {}
        for k in self._ORDER:
            v = getattr(self, k)
            if v is None or (k == "stage_seconds" and not v) or (k == "quarantined" and not v):
                continue
            out[k] = v.to_json() if hasattr(v, "to_json") else v
        return out

    @classmethod
    def from_json(cls, data: dict | None) -> RunCounts:
        data = data or {}

        def num(k):
            return data.get(k) if isinstance(data.get(k), (int, float)) else None

        return cls(
            ingest=IngestCounts.from_json(data["ingest"]) if "ingest" in data else None,
            sentences_new=num("sentences_new"),
            predictions_new=num("predictions_new"),
            deeds=DeedsCounts.from_json(data["deeds"]) if "deeds" in data else None,
            score=ScoreCounts.from_json(data["score"]) if "score" in data else None,
            since=data.get("since"),
            reclassify=data.get("reclassify"),
            cluster=dict(data["cluster"]) if isinstance(data.get("cluster"), dict) else None,
            stage_seconds=dict(data.get("stage_seconds") or {}),
            seconds=num("seconds"),
            quarantined=num("quarantined"),
        )
