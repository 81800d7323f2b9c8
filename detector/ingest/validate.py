"""What a parser accepts from a row, checked at its boundary, and the refusal of bad rows.

Every parser reads untrusted bytes. A value that is not what its field means (a date outside
``DATE_MIN .. DATE_MAX``, a count that is negative, infinite or absurd, an end before its start,
a JSON object where text belongs, an id of thousands of characters, a text above
``MAX_TEXT_CHARS``) raises ``RowError`` inside the parser's row loop; ``Refusals`` records it
with its row number and the parser goes on with the next row. Only when no row survives is the
file refused whole (``Refusals.finish``), so a file of nothing but bad rows still fails its
source with the first reason. Strings are cleaned of what no database stores (lone surrogates,
NUL) by ``clean_text``, applied to every record in ``detector.ingest.registry``.
"""

from __future__ import annotations

import logging
import math
import re
from datetime import datetime

from ..errors import ParseError
from ..records import DATE_MAX, DATE_MIN

log = logging.getLogger(__name__)

MAX_COUNT = 1_000_000  # launched / destroyed in one report line
MAX_ID_CHARS = 512
MAX_TEXT_CHARS = 1_000_000  # spaCy's default max_length: a longer text cannot be split
MAX_JSON_DEPTH = 64  # a statement row is flat; deep nesting is an attack, not data


class RowError(ValueError):
    """One row refused: the message names the field and the fix (the caller adds the row)."""


def check_date(dt: datetime | None, what: str, raw: object = None) -> datetime | None:
    """``dt`` (aware) if within DATE_MIN .. DATE_MAX; RowError otherwise."""
    if dt is not None and not (DATE_MIN <= dt <= DATE_MAX):
        raise RowError(
            f"{what} {raw if raw is not None else dt.isoformat()!r} is outside "
            f"{DATE_MIN:%Y-%m-%d} .. {DATE_MAX:%Y-%m-%d}; fix the row"
        )
    return dt


def check_span(start: datetime, end: datetime | None, what: str = "end") -> None:
    if end is not None and end < start:
        raise RowError(
            f"{what} {end.isoformat()} is before the start {start.isoformat()}; fix the row"
        )


def check_count(value: float | None, what: str) -> float | None:
    """A finite count in 0 .. MAX_COUNT (None passes: the source did not say)."""
    if value is None:
        return None
    if not math.isfinite(value) or value < 0 or value > MAX_COUNT:
        raise RowError(f"{what} {value!r} is not a count (0 .. {MAX_COUNT}); fix the row")
    return value


def check_id(value: str, what: str) -> str:
    if len(value) > MAX_ID_CHARS:
        raise RowError(
            f"{what} is {len(value)} characters long (at most {MAX_ID_CHARS}); fix the row"
        )
    return value


def check_text(value: str, what: str = "text") -> str:
    if len(value) > MAX_TEXT_CHARS:
        raise RowError(
            f"{what} is {len(value)} characters long (at most {MAX_TEXT_CHARS}); split the document"
        )
    return value


def string_value(value: object, what: str, *, numbers: bool = False) -> str:
    """A JSON value that must be text ('' for null); ``numbers``: finite ints/floats (ids) too."""
    if value is None:
        return ""
    if isinstance(value, str):
        return clean_text(value)
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        if abs(value) >= 10**MAX_ID_CHARS:
            raise RowError(f"{what} is a number of more than {MAX_ID_CHARS} digits; fix the row")
        return str(value)
    if numbers and isinstance(value, float) and math.isfinite(value):
        return repr(value)
    kind = {dict: "an object", list: "an array", bool: "a boolean"}.get(type(value), "a number")
    raise RowError(f"{what} is {kind}, not a string; write it as text")


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean_text(value: str) -> str:
    """``value`` without what UTF-8 and the databases refuse: lone surrogates become U+FFFD,
    NUL characters are dropped."""
    if not _UNSTORABLE.search(value):
        return value
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)


def json_depth_ok(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether brackets outside strings nest at most ``limit`` deep (a cheap scan, so that
    json.loads never recurses into a hostile payload)."""
    if text.count("[") + text.count("{") <= limit:
        return True
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return False
        elif ch in "]}":
            depth -= 1
    return True


class Refusals:
    """The rows of one payload that were refused, with their row numbers."""

    def __init__(self, src, sink: list[str] | None = None, unit: str = "line"):
        self.src = src
        self.unit = unit
        self.messages: list[str] = sink if sink is not None else []

    def refuse(self, n: int, reason: str) -> None:
        message = f"{self.src.location} {self.unit} {n}: {reason}"
        self.messages.append(message)
        log.warning("source %r: row refused: %s", self.src.name, message)

    def finish(self, kept: int) -> None:
        """A payload whose rows were all refused is refused whole, with the first reason."""
        if self.messages and not kept:
            more = len(self.messages) - 1
            raise ParseError(
                self.src.name,
                self.messages[0] + (f" (and {more} more row(s) refused)" if more else ""),
            )
