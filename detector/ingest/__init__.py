"""Ingest: fetch a source's bytes, then parse them into plain records.

Fetching (network or disk) is apart from parsing (pure, bytes -> records) and from saving
(``detector.store``), so any ingest can be replayed from a recorded payload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..config import SourceConfig
from ..records import Document, StrikeEvent, StructuredStatement
from .acled import parse_acled_csv
from .airforce import parse_airforce_csv
from .feed import parse_feed
from .fetch import FetchResult, fetch_source
from .gdelt import parse_gdelt_events
from .statements_csv import parse_statements_csv
from .statements_jsonl import parse_statements_jsonl
from .telegram import parse_telegram_csv
from .ucdp import parse_ucdp_ged_csv


@dataclass
class ParsedBatch:
    documents: list[Document] = field(default_factory=list)
    events: list[StrikeEvent] = field(default_factory=list)
    structured: list[StructuredStatement] = field(default_factory=list)


def _gdelt_batch(result) -> ParsedBatch:
    return ParsedBatch(events=result.events, structured=result.willingness)


Parser = Callable[[bytes, SourceConfig, str], ParsedBatch]

PARSERS: dict[str, Parser] = {
    "feed": lambda content, src, raw_hash: ParsedBatch(documents=parse_feed(content, src, raw_hash)),
    "statements_csv": lambda content, src, raw_hash: ParsedBatch(
        documents=parse_statements_csv(content, src, raw_hash)),
    "statements_jsonl": lambda content, src, raw_hash: ParsedBatch(
        documents=parse_statements_jsonl(content, src, raw_hash)),
    "telegram_csv": lambda content, src, raw_hash: ParsedBatch(
        documents=parse_telegram_csv(content, src, raw_hash)),
    "airforce_csv": lambda content, src, raw_hash: ParsedBatch(
        events=parse_airforce_csv(content, src, raw_hash)),
    "acled_csv": lambda content, src, raw_hash: ParsedBatch(
        events=parse_acled_csv(content, src, raw_hash)),
    "ucdp_ged_csv": lambda content, src, raw_hash: ParsedBatch(
        events=parse_ucdp_ged_csv(content, src, raw_hash)),
    "gdelt_events": lambda content, src, raw_hash: _gdelt_batch(
        parse_gdelt_events(content, src, raw_hash)),
}


def parse_payload(content: bytes, src: SourceConfig, raw_hash: str) -> ParsedBatch:
    """Turn one fetched payload into records with the parser of the source's kind."""
    return PARSERS[src.kind](content, src, raw_hash)


__all__ = ["FetchResult", "ParsedBatch", "fetch_source", "parse_payload", "PARSERS"]
