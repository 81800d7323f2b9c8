"""The source kinds, written once: name -> parser, options, what it yields, its default field.

``detector.config`` (the kinds a config may name and the options it checks), the ingest
dispatch (``parse_payload``) and the docs' list of kinds all come from ``SOURCE_KINDS``. A new
kind is a parser module with its options dataclass and one ``SourceKind`` line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from ..records import Document, StrikeEvent, StructuredStatement
from .acled import AcledOptions, parse_acled_csv
from .airforce import AirforceOptions, parse_airforce_csv
from .feed import parse_feed
from .gdelt import GdeltOptions, parse_gdelt_events
from .options import SourceOptions
from .statements_csv import StatementsOptions, parse_statements_csv
from .statements_jsonl import parse_statements_jsonl
from .telegram import TelegramOptions, parse_telegram_csv
from .ucdp import UcdpOptions, parse_ucdp_ged_csv
from .validate import clean_text

if TYPE_CHECKING:
    from ..config import SourceConfig


@dataclass
class ParsedBatch:
    documents: list[Document] = field(default_factory=list)
    events: list[StrikeEvent] = field(default_factory=list)
    structured: list[StructuredStatement] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # rows refused, each "<where> line N: why"


Parser = Callable[[bytes, "SourceConfig", str], ParsedBatch]


def _clean(record):
    """The record with its strings storable (``validate.clean_text``); itself when they are."""
    changes = {}
    for name, value in vars(record).items():
        if isinstance(value, str):
            cleaned = clean_text(value)
            if cleaned is not value:
                changes[name] = cleaned
    return replace(record, **changes) if changes else record


def _checked(parse) -> Parser:
    """``parse`` with the records' strings cleaned (every kind: one place, not one per parser)."""

    def run(content: bytes, src: SourceConfig, raw_hash: str) -> ParsedBatch:
        batch = parse(content, src, raw_hash)
        batch.documents = [_clean(r) for r in batch.documents]
        batch.events = [_clean(r) for r in batch.events]
        batch.structured = [_clean(r) for r in batch.structured]
        batch.refused = [clean_text(m) for m in batch.refused]
        return batch

    return run


@dataclass(frozen=True)
class SourceKind:
    name: str
    parse: Parser  # (payload, source, raw hash) -> records
    options: type[SourceOptions]  # the kind's typed options
    produces: Literal["statements", "strikes"]
    default_field: Literal["speaker", "actor"]  # the source key that names who speaks / strikes


def _documents(parse) -> Parser:
    def run(content: bytes, src: SourceConfig, raw_hash: str) -> ParsedBatch:
        refused: list[str] = []
        return ParsedBatch(documents=parse(content, src, raw_hash, refused), refused=refused)

    return _checked(run)


def _events(parse) -> Parser:
    def run(content: bytes, src: SourceConfig, raw_hash: str) -> ParsedBatch:
        refused: list[str] = []
        return ParsedBatch(events=parse(content, src, raw_hash, refused), refused=refused)

    return _checked(run)


@_checked
def _gdelt(content: bytes, src: SourceConfig, raw_hash: str) -> ParsedBatch:
    refused: list[str] = []
    result = parse_gdelt_events(content, src, raw_hash, refused)
    return ParsedBatch(events=result.events, structured=result.willingness, refused=refused)


SOURCE_KINDS: dict[str, SourceKind] = {
    k.name: k
    for k in (
        SourceKind("feed", _documents(parse_feed), SourceOptions, "statements", "speaker"),
        SourceKind(
            "statements_csv",
            _documents(parse_statements_csv),
            StatementsOptions,
            "statements",
            "speaker",
        ),
        SourceKind(
            "statements_jsonl",
            _documents(parse_statements_jsonl),
            StatementsOptions,
            "statements",
            "speaker",
        ),
        SourceKind(
            "telegram_csv", _documents(parse_telegram_csv), TelegramOptions, "statements", "speaker"
        ),
        SourceKind(
            "airforce_csv", _events(parse_airforce_csv), AirforceOptions, "strikes", "actor"
        ),
        SourceKind("acled_csv", _events(parse_acled_csv), AcledOptions, "strikes", "actor"),
        SourceKind("ucdp_ged_csv", _events(parse_ucdp_ged_csv), UcdpOptions, "strikes", "actor"),
        # Strike events, and verbal willingness as structured statements beside them.
        SourceKind("gdelt_events", _gdelt, GdeltOptions, "strikes", "actor"),
    )
}
