"""GDELT event exports: material-conflict events as StrikeEvents, verbal willingness as events.

Layouts read (detected from the first line):
- the raw GDELT 2.0 event export: 61 tab-separated fields, no header (``*.export.CSV``);
- the raw GDELT 1.0 event file: 58 tab-separated fields (no ``*Geo_ADM2Code`` columns);
- a CSV (comma or tab) WITH a header, as saved by pandas and other tools. A header with a leading
  unnamed index column and at least 61 further columns is taken by position as the 61 GDELT 2.0
  fields (extra trailing columns, e.g. a joined ``Confidence``, are ignored); tools rename the
  columns, sometimes wrongly, so position is safer than names there. Any other header is read by
  name: the official names (``GLOBALEVENTID``, ``SQLDATE``, ``Actor1CountryCode``, ``EventCode``,
  ...) and common renamings (``Global_Event_ID``, ``Day``, ``Actor_1_Country_ABBR``,
  ``Event_Code``, ``Goldstein_Scale``, ``Source_URL``, ...); only the event id, the date and the
  event code are required (a missing ``EventRootCode`` is the first two digits of the code).
A raw row with another number of fields, or a CSV row whose length differs from the header's, is
a ParseError naming the line.

Strikes: rows whose EventRootCode is 18 (assault), 19 (fight) or 20 (unconventional mass
violence) - option ``strike_root_codes`` replaces the list. external_id = GLOBALEVENTID;
start = SQLDATE (YYYYMMDD) at UTC midnight, end None; actor = Actor1CountryCode, target_actor =
Actor2CountryCode (GDELT uses ISO 3166 alpha-3 like the project; option ``country_codes`` =
{GDELT: ours} maps others, e.g. {"EUR": "EU"}; an empty code falls back to the source's ``actor``
/ ``target_actor``); target_type = ``civilian`` when Actor2Type1Code is ``CVL``, else the option
``target_type`` (default ``unspecified``); place = ActionGeo_FullName; description = SOURCEURL;
weapon, launched, destroyed None. GDELT is machine-coded from news: one real strike yields many
rows (one per article cluster), and "fight" includes statements about fighting. Use the counts
as a noisy intensity signal, not as a strike count.

Willingness: verbal cooperation that signals readiness to settle (CAMEO, option
``willingness_codes`` replaces the set): 036 express intent to meet or negotiate, 037 express
intent to settle dispute, 038 express intent to accept mediation, 0357 express intent to
de-escalate military engagement, 046 engage in negotiation. Left out on purpose: 030-035 other
than 0357 (aid, reform, sanctions, releases: cooperation, not peace), 039/045 (mediating between
others: the mediator is not a party), 040-044 (calls and visits: routine diplomacy). They become
``StructuredStatement`` records with stance ``willing`` (actor = Actor1CountryCode, counterpart =
Actor2CountryCode), stored apart from classified sentences.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..config import SourceConfig
from ..errors import ParseError
from ..records import StrikeEvent, StructuredStatement
from .csvutil import decode_text
from .options import StrikeOptions, checked, options_of
from .validate import Refusals, RowError, check_date, check_id

# The official GDELT 2.0 event table, in order (GDELT_2.0_Events_Column_Labels_Header_Row).
FIELDS_V2 = [
    "GLOBALEVENTID",
    "SQLDATE",
    "MonthYear",
    "Year",
    "FractionDate",
    "Actor1Code",
    "Actor1Name",
    "Actor1CountryCode",
    "Actor1KnownGroupCode",
    "Actor1EthnicCode",
    "Actor1Religion1Code",
    "Actor1Religion2Code",
    "Actor1Type1Code",
    "Actor1Type2Code",
    "Actor1Type3Code",
    "Actor2Code",
    "Actor2Name",
    "Actor2CountryCode",
    "Actor2KnownGroupCode",
    "Actor2EthnicCode",
    "Actor2Religion1Code",
    "Actor2Religion2Code",
    "Actor2Type1Code",
    "Actor2Type2Code",
    "Actor2Type3Code",
    "IsRootEvent",
    "EventCode",
    "EventBaseCode",
    "EventRootCode",
    "QuadClass",
    "GoldsteinScale",
    "NumMentions",
    "NumSources",
    "NumArticles",
    "AvgTone",
    "Actor1Geo_Type",
    "Actor1Geo_FullName",
    "Actor1Geo_CountryCode",
    "Actor1Geo_ADM1Code",
    "Actor1Geo_ADM2Code",
    "Actor1Geo_Lat",
    "Actor1Geo_Long",
    "Actor1Geo_FeatureID",
    "Actor2Geo_Type",
    "Actor2Geo_FullName",
    "Actor2Geo_CountryCode",
    "Actor2Geo_ADM1Code",
    "Actor2Geo_ADM2Code",
    "Actor2Geo_Lat",
    "Actor2Geo_Long",
    "Actor2Geo_FeatureID",
    "ActionGeo_Type",
    "ActionGeo_FullName",
    "ActionGeo_CountryCode",
    "ActionGeo_ADM1Code",
    "ActionGeo_ADM2Code",
    "ActionGeo_Lat",
    "ActionGeo_Long",
    "ActionGeo_FeatureID",
    "DATEADDED",
    "SOURCEURL",
]
# GDELT 1.0 daily files: the same without the three ADM2 codes (58 fields with SOURCEURL).
FIELDS_V1 = [f for f in FIELDS_V2 if not f.endswith("_ADM2Code")]
assert len(FIELDS_V2) == 61 and len(FIELDS_V1) == 58

STRIKE_ROOT_CODES = ("18", "19", "20")
WILLINGNESS_CODES = ("036", "037", "038", "0357", "046")


def _root_codes(values: tuple) -> tuple[str, ...]:
    return tuple(str(c).zfill(2) for c in values)


def _codes(values: tuple) -> tuple[str, ...]:
    return tuple(str(c) for c in values)


@dataclass(frozen=True)
class GdeltOptions(StrikeOptions):
    strike_root_codes: tuple[str | int, ...] = checked(STRIKE_ROOT_CODES, _root_codes)
    willingness_codes: tuple[str | int, ...] = checked(WILLINGNESS_CODES, _codes)
    # GDELT country code -> the project's actor code, for codes that differ (e.g. EUR = "EU").
    country_codes: dict[str, str] = field(default_factory=dict)


# Header names seen in the wild -> official names (compared lower-case, without _ and spaces).
_ALIASES = {
    "globaleventid": "GLOBALEVENTID",
    "day": "SQLDATE",
    "date": "SQLDATE",
    "actor1countryabbr": "Actor1CountryCode",
    "actor2countryabbr": "Actor2CountryCode",
    "actor1role": "Actor1Type1Code",
    "actor2role": "Actor2Type1Code",
    "actiongeofullname": "ActionGeo_FullName",
    "sourceurl": "SOURCEURL",
    "url": "SOURCEURL",
}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_OFFICIAL = {_norm(f): f for f in FIELDS_V2}


@dataclass
class GdeltParseResult:
    events: list[StrikeEvent] = field(default_factory=list)
    willingness: list[StructuredStatement] = field(default_factory=list)


def _raw_rows(text: str, src: SourceConfig):
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) == 61:
            yield n, dict(zip(FIELDS_V2, parts))
        elif len(parts) == 58:
            yield n, dict(zip(FIELDS_V1, parts))
        else:
            raise ParseError(
                src.name,
                f"{src.location} line {n}: {len(parts)} tab-separated "
                "fields, expected 61 (GDELT 2.0 export) or 58 (GDELT 1.0); "
                "use the unmodified export file",
            )


def _header_rows(text: str, src: SourceConfig):
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = next(reader)
        offset = (
            1
            if header
            and (
                not header[0].strip()
                or _norm(header[0]).startswith("unnamed")
                or _norm(header[0]) == "index"
            )
            else 0
        )
        names = header[offset:]
        if len(names) >= 61 and _norm(names[0]) == "globaleventid":
            mapping = {offset + i: f for i, f in enumerate(FIELDS_V2)}  # by position
        else:
            mapping = {}
            for i, name in enumerate(names):
                key = _norm(name)
                official = _OFFICIAL.get(key) or _ALIASES.get(key)
                if official and official not in mapping.values():
                    mapping[offset + i] = official
            missing = [
                f for f in ("GLOBALEVENTID", "SQLDATE", "EventCode") if f not in mapping.values()
            ]
            if missing:
                raise ParseError(
                    src.name,
                    f"{src.location} lacks column(s) {', '.join(missing)} "
                    f"(found: {', '.join(header[:12])}); use GDELT's "
                    "column names or the raw export",
                )
        for n, row in enumerate(reader, start=2):
            if not row or not any(c.strip() for c in row):
                continue
            if len(row) != len(header):
                raise ParseError(
                    src.name,
                    f"{src.location} line {n}: {len(row)} fields, "
                    f"expected {len(header)} as in the header; fix the row",
                )
            yield n, {name: row[i] for i, name in mapping.items()}
    except csv.Error as exc:
        raise ParseError(src.name, f"{src.location} is not valid CSV ({exc})") from exc


def gdelt_rows(content: bytes, src: SourceConfig):
    """(line number, {official GDELT field: value}) for every row of a GDELT payload."""
    text = decode_text(content, src)
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    cells = [c.strip().strip('"') for c in re.split(r"[\t,]", first)]
    if any(_norm(c) == "globaleventid" for c in cells[:3]):
        return _header_rows(text, src)
    return _raw_rows(text, src)


def _float(value: str | None) -> float | None:
    try:
        x = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    return x if x is None or math.isfinite(x) else None


def parse_gdelt_events(
    content: bytes, src: SourceConfig, raw_hash: str, refused: list[str] | None = None
) -> GdeltParseResult:
    o = options_of(src, GdeltOptions)
    strike_roots = {str(c).zfill(2) for c in o.strike_root_codes}
    willing_codes = {str(c) for c in o.willingness_codes}
    codes = {str(k): str(v) for k, v in o.country_codes.items()}
    default_target = o.target_type

    def country(value: str | None, default: str | None) -> str | None:
        value = (value or "").strip()
        return codes.get(value, value) if value else default

    refusals = Refusals(src, refused)
    result, seen = GdeltParseResult(), set()
    for n, row in gdelt_rows(content, src):
        code = (row.get("EventCode") or "").strip()
        root = (row.get("EventRootCode") or "").strip() or code[:2]
        root = root.zfill(2) if root.isdigit() else root
        is_strike, is_willing = root in strike_roots, code in willing_codes
        if not (is_strike or is_willing):
            continue
        ext = (row.get("GLOBALEVENTID") or "").strip()
        if ext in seen:
            raise ParseError(
                src.name,
                f"{src.location} line {n}: GLOBALEVENTID {ext[:40]} "
                "appears twice; keep each export file once",
            )
        raw_day = (row.get("SQLDATE") or "").strip()
        try:
            if not ext:
                raise RowError("GLOBALEVENTID is empty; use the unmodified export file")
            check_id(ext, "GLOBALEVENTID")
            try:
                day = datetime.strptime(raw_day, "%Y%m%d").replace(tzinfo=UTC)
            except ValueError:
                raise RowError(
                    f"SQLDATE {raw_day[:40]!r} is not YYYYMMDD; use the unmodified export file"
                ) from None
            check_date(day, "SQLDATE", raw_day)
        except RowError as exc:
            refusals.refuse(n, str(exc))
            continue
        seen.add(ext)
        url = (row.get("SOURCEURL") or "").strip() or None
        if is_strike:
            civilian = (row.get("Actor2Type1Code") or "").strip().upper() == "CVL"
            result.events.append(
                StrikeEvent(
                    source=src.name,
                    external_id=ext,
                    start=day,
                    end=None,
                    actor=country(row.get("Actor1CountryCode"), src.actor),
                    target_actor=country(row.get("Actor2CountryCode"), src.target_actor),
                    target_type="civilian" if civilian else default_target,
                    place=(row.get("ActionGeo_FullName") or "").strip() or None,
                    launched=None,
                    description=url,
                    location=src.location,
                    raw_hash=raw_hash,
                )
            )
        else:
            result.willingness.append(
                StructuredStatement(
                    source=src.name,
                    external_id=ext,
                    date=day.date(),
                    actor=country(row.get("Actor1CountryCode"), src.actor),
                    counterpart=country(row.get("Actor2CountryCode"), src.target_actor),
                    stance="willing",
                    event_code=code,
                    goldstein=_float(row.get("GoldsteinScale")),
                    url=url,
                    location=src.location,
                    raw_hash=raw_hash,
                )
            )
    refusals.finish(len(result.events) + len(result.willingness))
    return result
