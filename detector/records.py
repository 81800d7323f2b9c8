"""Plain records passed between stages (ingest -> nlp -> score -> store).

Stages never call each other: each reads and writes these records. Ids are content hashes so
that writing the same record twice stores it once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


def stable_hash(*parts: Any, length: int = 32) -> str:
    """Hex sha256 of the parts joined unambiguously; used as record id."""
    h = hashlib.sha256()
    for part in parts:
        data = json.dumps(part, sort_keys=True, ensure_ascii=False, default=str)
        h.update(len(data).to_bytes(8, "big"))
        h.update(data.encode("utf-8"))
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
        return stable_hash(self.text, self.title, self.url, self.speaker,
                           self.published_at.isoformat() if self.published_at else None)


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
        parts = [self.start.isoformat(), self.end.isoformat() if self.end else None,
                 self.actor, self.target_actor, self.target_type, self.weapon,
                 self.place, self.launched, self.destroyed, self.description]
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
        return dict(launched=self.launched, destroyed=self.destroyed, weapons=list(self.weapons),
                    places=list(self.places))


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
        return stable_hash(self.date.isoformat(), self.actor, self.counterpart, self.stance,
                           self.event_code, self.goldstein, self.url)


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
        parts = [self.actor, self.scope, self.start.isoformat(), self.end.isoformat()]
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
        return stable_hash("flag", self.method, self.kind, self.actor, self.start.isoformat(),
                           self.end.isoformat(), self.details.get("commitment_id"), length=16)
