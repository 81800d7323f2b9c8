"""A UCDP Georeferenced Event Dataset (GED) CSV (API or download layout): one StrikeEvent per row.

UCDP GED rows are events of organised violence with at least one death, coded from news reports.
The parser keeps every row; option ``types_of_violence`` = [1, 2, 3] (UCDP's ``type_of_violence``:
1 state-based, 2 non-state, 3 one-sided) keeps only the listed types. Note that type 1 includes
ground battles as well as strikes; UCDP does not tell them apart.

Mapping:
- external_id = ``id`` (UCDP's stable event id; a repeated id is a ParseError);
- start = ``date_start``, end = ``date_end``, both read as UTC dates (ISO ``YYYY-MM-DD``,
  ``M/D/YYYY 12:00:00 AM`` and ``MM/DD/YYYY 00:00`` are all read);
- actor = ``side_a`` mapped to a code with the gazetteer ("Government of Russia (Soviet Union)"
  -> RUS), else the source's ``actor``;
- target_actor = ``side_b`` mapped with the gazetteer, else ``country`` mapped likewise (whose
  territory was hit; armed groups such as "DPR" are not in the gazetteer), else the source's
  ``target_actor``;
- target_type = ``civilian`` for type_of_violence 3 (one-sided violence against civilians), else
  the option ``target_type`` (default ``unspecified``): UCDP codes no target kind;
- place = ``where_coordinates``, else ``adm_1``; description = ``source_headline``;
- weapon, launched and destroyed None (UCDP counts deaths, not munitions).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ..actors import actor_code
from ..config import SourceConfig
from ..errors import ParseError
from ..records import StrikeEvent
from .csvutil import read_csv_rows
from .options import StrikeOptions, checked, options_of
from .timeparse import parse_datetime
from .validate import Refusals, RowError, check_date, check_id, check_span

REQUIRED = ["id", "type_of_violence", "side_a", "side_b", "date_start", "date_end"]


def _violence_types(values: tuple) -> tuple[int, ...]:
    try:
        types = tuple(int(v) for v in values)
    except ValueError:
        types = ()
    if not set(types) <= {1, 2, 3} or (values and not types):
        raise ValueError(
            "must list UCDP types of violence: 1 (state-based), 2 (non-state), "
            "3 (one-sided), e.g. [1, 3]"
        )
    return types


@dataclass(frozen=True)
class UcdpOptions(StrikeOptions):
    # UCDP's type_of_violence values to keep; None keeps every row.
    types_of_violence: tuple[int | str, ...] | None = checked(None, _violence_types)


# US-style dates that UCDP exports carry next to ISO ones (timeparse reads D/M/Y, not M/D/Y).
_US_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")


def _field(row: dict, column: str) -> str:
    value = row.get(column)
    return "" if value is None else str(value).strip()


def ucdp_date(value: str | None, what: str = "date") -> datetime | None:
    """A UCDP date (ISO or US month-first) as UTC midnight, or None; RowError when it is
    outside the accepted range (``validate.DATE_MIN .. DATE_MAX``)."""
    text = (value or "").strip()
    if not text or len(text) > 100:
        return None
    if "/" in text:
        for fmt in _US_FORMATS:
            try:
                naive = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            return None
        dt = check_date(naive.replace(tzinfo=UTC), what, text)
    else:
        dt = parse_datetime(text, "UTC", what)
    if dt is None:
        return None
    return dt.replace(hour=0, minute=0, second=0, microsecond=0)


def parse_ucdp_ged_csv(
    content: bytes, src: SourceConfig, raw_hash: str, refused: list[str] | None = None
) -> list[StrikeEvent]:
    rows = read_csv_rows(content, src, REQUIRED)
    options = options_of(src, UcdpOptions)
    types = options.types_of_violence
    keep = {str(int(t)) for t in types} if types else None
    default_target = options.target_type
    refusals = Refusals(src, refused)
    events, seen = [], set()
    for n, row in enumerate(rows, start=2):
        violence = _field(row, "type_of_violence")
        if keep is not None and violence not in keep:
            continue
        ext = _field(row, "id")
        if ext in seen:
            raise ParseError(
                src.name,
                f"{src.location} line {n}: id {ext[:40]} appears twice; keep one export per file",
            )
        try:
            if not ext:
                raise RowError("id is empty; export the file again with UCDP's id column")
            check_id(ext, "id")
            start = ucdp_date(row.get("date_start"), "date_start")
            if start is None:
                raise RowError(
                    f"date_start {(row.get('date_start') or '')[:40]!r} is not a date; fix the row"
                )
            end = ucdp_date(row.get("date_end"), "date_end")
            if _field(row, "date_end") and end is None:
                raise RowError(
                    f"date_end {(row.get('date_end') or '')[:40]!r} is not a date; fix the row"
                )
            check_span(start, end, "date_end")
        except RowError as exc:
            refusals.refuse(n, str(exc))
            continue
        seen.add(ext)
        target_actor = (
            actor_code(_field(row, "side_b"))
            or actor_code(_field(row, "country"))
            or src.target_actor
        )
        events.append(
            StrikeEvent(
                source=src.name,
                external_id=ext,
                start=start,
                end=end,
                actor=actor_code(_field(row, "side_a"), src.actor),
                target_actor=target_actor,
                target_type="civilian" if violence == "3" else default_target,
                place=_field(row, "where_coordinates") or _field(row, "adm_1") or None,
                launched=None,
                description=_field(row, "source_headline") or None,
                location=src.location,
                raw_hash=raw_hash,
            )
        )
    refusals.finish(len(events))
    return events
