"""Ingest: fetch a source's bytes, then parse them into plain records.

Fetching (network or disk) is apart from parsing (pure, bytes -> records) and from saving
(``detector.store``), so any ingest can be replayed from a recorded payload. The source kinds,
their parsers and options are listed once, in ``registry.SOURCE_KINDS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .fetch import FetchResult, fetch_source
from .registry import SOURCE_KINDS, ParsedBatch, Parser, SourceKind

if TYPE_CHECKING:
    from ..config import SourceConfig

PARSERS: dict[str, Parser] = {name: kind.parse for name, kind in SOURCE_KINDS.items()}


def parse_payload(content: bytes, src: SourceConfig, raw_hash: str) -> ParsedBatch:
    """Turn one fetched payload into records with the parser of the source's kind."""
    return SOURCE_KINDS[src.kind].parse(content, src, raw_hash)


__all__ = [
    "FetchResult",
    "ParsedBatch",
    "SOURCE_KINDS",
    "SourceKind",
    "fetch_source",
    "parse_payload",
    "PARSERS",
]
