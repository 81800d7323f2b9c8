"""The Ukrainian Air Force daily missile/drone report schema (a row per weapon line and window)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..config import SourceConfig
from ..records import StrikeEvent, stable_hash
from .csvutil import read_csv_rows
from .options import StrikeOptions, checked, options_of, time_zone
from .timeparse import parse_datetime
from .validate import Refusals, RowError, check_count, check_span


@dataclass(frozen=True)
class AirforceOptions(StrikeOptions):
    timezone: str = checked("Europe/Kyiv", time_zone)  # the reports' local time


REQUIRED = ["time_start", "time_end", "model", "target", "launched", "destroyed"]

# The reports name regions, not target kinds; a target kind is set only where the text says so.
_TARGET_WORDS = [
    (
        "energy",
        re.compile(r"energ|power|substation|grid|thermal|\bgas\b|heating|hydro|nuclear", re.I),
    ),
    ("civilian", re.compile(r"residential|civilian|hospital|school|railway|port\b", re.I)),
    ("military", re.compile(r"airfield|military|front line|ammunition|base\b", re.I)),
]


def _count(value: str | None, what: str = "count") -> float | None:
    """A count cell: empty, ``nan`` or ``none`` is unknown (None); a leading number is read
    ("12 drones"); a negative, infinite or absurd value is refused (RowError)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or text.lower() in ("nan", "none"):
        return None
    try:
        x = float(text)
    except ValueError:
        m = re.match(r"^\s*(\d+(?:\.\d+)?)", text)
        if not m:
            return None
        x = float(m.group(1))
    return None if math.isnan(x) else check_count(x, what)


def target_type_of(*texts: str | None, default: str = "unspecified") -> str:
    joined = " ".join(t for t in texts if t)
    for kind, pattern in _TARGET_WORDS:
        if pattern.search(joined):
            return kind
    return default


def parse_airforce_csv(
    content: bytes, src: SourceConfig, raw_hash: str, refused: list[str] | None = None
) -> list[StrikeEvent]:
    rows = read_csv_rows(content, src, REQUIRED)
    options = options_of(src, AirforceOptions)
    tz, default_target = options.timezone, options.target_type
    refusals = Refusals(src, refused)
    events: list[StrikeEvent] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(rows, start=2):
        try:
            start = parse_datetime(row.get("time_start"), tz, "time_start")
            if start is None:
                raise RowError(
                    f"time_start {(row.get('time_start') or '')[:40]!r} is not a date; fix the row"
                )
            end = parse_datetime(row.get("time_end"), tz, "time_end")
            check_span(start, end, "time_end")
            launched = _count(row.get("launched"), "launched")
            destroyed = _count(row.get("destroyed"), "destroyed")
        except RowError as exc:
            refusals.refuse(n, str(exc))
            continue
        key = stable_hash(
            row.get("time_start"),
            row.get("time_end"),
            row.get("model"),
            row.get("launch_place"),
            row.get("target"),
            row.get("source"),
        )
        seen[key] = seen.get(key, 0) + 1
        ext = key if seen[key] == 1 else f"{key}#{seen[key]}"
        place = (row.get("target_main") or row.get("target") or "").strip() or None
        events.append(
            StrikeEvent(
                source=src.name,
                external_id=ext,
                start=start,
                end=end,
                actor=src.actor,
                target_actor=src.target_actor,
                target_type=target_type_of(
                    row.get("target"), row.get("target_main"), default=default_target
                ),
                weapon=(row.get("model") or "").strip() or None,
                place=place,
                launched=launched,
                destroyed=destroyed,
                description=(row.get("source") or "").strip() or None,
                location=src.location,
                raw_hash=raw_hash,
            )
        )
    refusals.finish(len(events))
    return events
