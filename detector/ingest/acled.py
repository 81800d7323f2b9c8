"""An ACLED export CSV (Data Export Tool layout): one StrikeEvent per kept event.

Which rows are strikes: ACLED's event_type ``Explosions/Remote violence`` also holds landmines,
IEDs and grenades, which are not strikes launched by an actor against a target; and
``Strategic developments / Disrupted weapons use`` are interceptions. So rows are kept by
sub_event_type: by default ``Air/drone strike`` and ``Shelling/artillery/missile attack``
(option ``sub_event_types`` = [...] replaces the list). Battles, protests, riots and the rest
are dropped.

Mapping: external_id = event_id_cnty; start = event_date at UTC midnight (ACLED dates are days;
``DD/MM/YYYY 00:00:00``, ISO and ``05 April 2024`` are read), end None; actor = actor1 mapped to
a code with the gazetteer (``Unidentified ...`` actors and names it does not know fall back to
the source's ``actor``); target_actor = actor2 mapped likewise, else the source's
``target_actor``; place = location; description = notes; weapon, launched and destroyed None
(ACLED gives no counts of munitions). target_type: ``energy`` when the notes name an energy
object (power, substation, grid, energy, thermal/hydro/nuclear plant, gas, heating), else
``civilian`` when civilian_targeting is set or the notes name a civilian object, else the
option ``target_type`` (default ``unspecified``). Military targets are not inferred: ACLED's
notes name the attacker's forces ("Russian military shelled ..."), so words alone mislead.

If the export has a ``timestamp`` column (ACLED's last-modified stamp), it is the event's
revision: a newer export of the same event_id_cnty updates the stored event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..actors import actor_code
from ..config import SourceConfig
from ..errors import ParseError
from ..records import StrikeEvent
from .csvutil import read_csv_rows
from .options import StrikeOptions, options_of
from .timeparse import parse_datetime
from .validate import Refusals, RowError, check_id

REQUIRED = [
    "event_id_cnty",
    "event_date",
    "event_type",
    "sub_event_type",
    "actor1",
    "location",
    "notes",
]
STRIKE_SUB_EVENT_TYPES = ("Air/drone strike", "Shelling/artillery/missile attack")


@dataclass(frozen=True)
class AcledOptions(StrikeOptions):
    sub_event_types: tuple[str, ...] = STRIKE_SUB_EVENT_TYPES  # the rows kept


_ENERGY = re.compile(
    r"energ|power (?:plant|station|line|grid|facilit|infrastructure|supply)|"
    r"substation|\bgrid\b|thermal|hydro|nuclear|\bgas\b|heating|electric",
    re.I,
)
_CIVILIAN = re.compile(
    r"residential|civilian|apartment|hospital|school|kindergarten|"
    r"\bhouses?\b|\bhomes?\b",
    re.I,
)


def _actor(name: str | None, default: str | None) -> str | None:
    name = (name or "").strip()
    if not name or name.lower().startswith("unidentified"):
        return default
    return actor_code(name, default)


def acled_target_type(
    notes: str | None, civilian_targeting: str | None, default: str = "unspecified"
) -> str:
    if notes and _ENERGY.search(notes):
        return "energy"
    if (civilian_targeting or "").strip() or (notes and _CIVILIAN.search(notes)):
        return "civilian"
    return default


def parse_acled_csv(
    content: bytes, src: SourceConfig, raw_hash: str, refused: list[str] | None = None
) -> list[StrikeEvent]:
    rows = read_csv_rows(content, src, REQUIRED)
    options = options_of(src, AcledOptions)
    keep = set(options.sub_event_types)
    default_target = options.target_type
    refusals = Refusals(src, refused)
    events, seen = [], set()
    for n, row in enumerate(rows, start=2):
        if (row.get("sub_event_type") or "").strip() not in keep:
            continue
        ext = (row.get("event_id_cnty") or "").strip()
        if ext in seen:
            raise ParseError(
                src.name,
                f"{src.location} line {n}: event_id_cnty {ext[:40]} "
                "appears twice; keep one export per file",
            )
        try:
            if not ext:
                raise RowError(
                    "event_id_cnty is empty; export the file again with ACLED's id columns"
                )
            check_id(ext, "event_id_cnty")
            day = parse_datetime(row.get("event_date"), "UTC", "event_date")
            if day is None:
                raise RowError(
                    f"event_date {(row.get('event_date') or '')[:40]!r} is not a date; fix the row"
                )
        except RowError as exc:
            refusals.refuse(n, str(exc))
            continue
        seen.add(ext)
        day = day.replace(hour=0, minute=0, second=0, microsecond=0)
        notes = (row.get("notes") or "").strip() or None
        stamp = (row.get("timestamp") or "").strip() or None
        events.append(
            StrikeEvent(
                source=src.name,
                external_id=ext,
                start=day,
                end=None,
                actor=_actor(row.get("actor1"), src.actor),
                target_actor=_actor(row.get("actor2"), src.target_actor),
                target_type=acled_target_type(
                    notes, row.get("civilian_targeting"), default=default_target
                ),
                place=(row.get("location") or "").strip() or None,
                launched=None,
                description=notes,
                location=src.location,
                raw_hash=raw_hash,
                revision=stamp,
            )
        )
    refusals.finish(len(events))
    return events
