"""Deeds from text: strike reports from classified sentences, merged with the structured strike
rows into strike events, one event per strike however many reports it has.

Counting reports instead of events is GDELT's best-known failure: ten headlines about one night's
strike are one deed. So every sentence classified ``strike`` becomes a *report*
(``strike_reports``), and reports are merged into *events* (``merge_strike_events``) by the rule
below, written so that a person can check it on a printout.

Merge rule
----------
Days are local days in ``tz`` (default UTC). A structured row's span is the local day of its
``start`` to that of its ``end`` (``end`` missing: ``start``); a text report's day is the local
day of its publication.

1. Text reports attach to structured rows (Air Force, ACLED, ...) of the **same actor** (a report
   without an actor attaches nowhere and is left out of the events: a strike without a known
   striker is nobody's deed). For a report of day D the candidate rows are, in this order of
   preference, those whose span ends on D (the night's attack, reported that morning), those
   whose span contains D (an attack still going on), those whose span ended on D - 1 (a report
   one day late). The first non-empty set wins.
2. Within that set, a row is compatible with the report unless the evidence says they differ:
   the target actors differ (both given), or both name places and no place is shared (places
   compared as lower-case words without "oblast", "region", ...; a country-wide place such as
   "Ukraine" names no place). Counts never split: one report's count is often a part of
   another's total ("476 drones" and "40 drones over Kyiv").
3. An attached report becomes evidence of every compatible row (the links). Structured rows keep
   their counts, weapons and places. A row without a target type (None or ``unspecified``) takes
   the gravest target of its attached reports, in the order energy > civilian > military >
   unspecified: "a massive strike on energy facilities" makes that night's launches ``energy``.
   ``origin`` is ``both`` for a row with attached reports, else ``structured``.
4. Reports that attach to no row merge among themselves: same actor, same local day, same
   target type (an ``unspecified`` report joins the day's gravest typed group), and, among
   reports naming places, connected by a shared place (reports without places join the group's
   largest place component). No merging across days: the rule errs on splitting a follow-up of
   the next day rather than on chaining daily strikes into one event.
   A text-only event (``origin`` ``text``) takes the largest stated ``launched`` and
   ``destroyed`` of its reports (NaN when none states one: the scorers count it as 1), counts
   above ``max_text_count`` (default 1,000) left out: they are tallies over weeks or years
   ("130,000 munitions fired last year"), not one strike (the largest night in the Air Force
   reports is 832 launched, 7 Sep 2025). It takes its weapons and places in order of first mention,
   its start at its earliest report, and the id
   ``stable_hash("text-strike", actor, day, target_type, smallest sentence id)``.

Ten headlines about one strike thus count once: as the structured row they attach to, or as one
text-only event.

Known limits (seen on the real case): the rule reads days, not dates in the text, so a report
published a day late about a night whose next night also has rows ("December 23 explosions",
published on the 24th) types the later night; and it is only as good as the classifier's actor:
a sentence about the other side's strike attributed to this actor attaches to its rows (the
target's confidence threshold, ``MIN_TARGET_SCORE``, removes part of that).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict

import numpy as np
import pandas as pd

from ..records import stable_hash

# Columns of the events frame: those of repository.load_strikes (what the scorers read) plus the
# merge's own.
EVENT_COLUMNS = [
    "event_id",
    "start",
    "end",
    "date",
    "actor",
    "target_actor",
    "target_type",
    "launched",
    "destroyed",
    "weapon",
    "place",
    "source",
    "origin",
    "n_reports",
    "sentence_ids",
]
LINK_COLUMNS = ["event_id", "sentence_id", "source", "reason"]
REPORT_COLUMNS = [
    "report_id",
    "sentence_id",
    "document_id",
    "start",
    "date",
    "actor",
    "target_actor",
    "target_type",
    "target",
    "target_score",
    "launched",
    "destroyed",
    "weapons",
    "places",
    "action_score",
    "source",
    "url",
    "text",
]
# A report's target counts only when the classifier is this sure of it (else ``unspecified``):
# on the real case, the unsure targets were mostly sentences that are not about a strike on
# that target at all (front-line or border news typing a night's launches as civilian).
MIN_TARGET_SCORE = 0.7

# Target of a strike event from its reports: the gravest that is stated. Military above
# unspecified here (unlike vocab.TARGET_SEVERITY's headline order): a stated military target
# says more about the row than none.
_TYPING_ORDER = {"energy": 3, "civilian": 2, "military": 1, "unspecified": 0}
# Places that name a whole country say nothing about where a strike landed.
COUNTRYWIDE = frozenset({"ukraine", "russia", "russian federation", "belarus", "israel", "gaza"})
_PLACE_SUFFIX = re.compile(
    r"\b(oblast|region|district|province|krai|territory|community|city|"
    r"raion|governorate)\b",
    re.IGNORECASE,
)


def _as_list(value) -> list[str]:
    """A weapons/places cell as a list: list, tuple, JSON text, comma/'and' text or None."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v) for v in value if v is not None and str(v).strip()]
    text = str(value).strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            return [str(v) for v in json.loads(text) if v]
        except ValueError:
            pass
    return [p.strip() for p in re.split(r",| and ", text) if p.strip()]


def place_keys(places) -> frozenset[str]:
    """Comparable keys of place mentions: lower case, without "oblast", "region", ...; country-wide
    names dropped. "Kharkiv region" and "Kharkiv" share the key "kharkiv"."""
    keys = set()
    for p in _as_list(places):
        k = re.sub(r"\s+", " ", _PLACE_SUFFIX.sub(" ", p.lower())).strip(" ,.")
        if k and k not in COUNTRYWIDE:
            keys.add(k)
    return frozenset(keys)


def _utc_naive(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True).dt.tz_localize(None)


def _local_day(utc_naive: pd.Series, tz: str) -> pd.Series:
    t = pd.to_datetime(utc_naive).dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)
    return t.dt.normalize()


def strike_reports(
    sentences: pd.DataFrame,
    min_action_score: float = 0.0,
    min_target_score: float = MIN_TARGET_SCORE,
) -> pd.DataFrame:
    """One strike report per sentence classified ``strike``.

    ``sentences`` columns (one row per classified sentence; extra columns are ignored):
    - sentence_id, action (``strike`` | ``none``): required;
    - published_at (UTC datetime of its document) or, failing that, date;
    - actor, target_actor, target (energy | civilian | military | unspecified | None),
      target_score (optional: the classifier's confidence in the target);
    - launched, destroyed, weapons, places: the strike details (lists or JSON text for weapons and
      places); or a ``details`` column holding them as predictions.details stores them (a dict or
      its JSON text), used where the separate columns are absent;
    - optional: document_id, source, url, text, action_score.

    Returns REPORT_COLUMNS: report_id (= sentence_id), start (UTC, naive), date (its UTC day),
    target_type (the classifier's target; ``unspecified`` where it gave none or its target_score
    is below ``min_target_score``; ``target`` and ``target_score`` keep what it said),
    weapons/places as lists, and
    the provenance (sentence_id, document_id, source, url, text). Sentences whose action_score is
    below ``min_action_score`` are left out; undated ones too (they cannot be placed).
    """
    if sentences.empty or "action" not in sentences:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    s = sentences[sentences["action"] == "strike"].copy()
    if "action_score" in s and min_action_score > 0:
        s = s[pd.to_numeric(s["action_score"], errors="coerce").fillna(0) >= min_action_score]
    if "details" in s:
        details = s["details"].map(lambda d: json.loads(d) if isinstance(d, str) else (d or {}))
        for key in ("launched", "destroyed", "weapons", "places"):
            if key not in s:
                s[key] = details.map(lambda d, k=key: d.get(k))
    when = s["published_at"] if "published_at" in s else s.get("date")
    if when is None:
        raise ValueError("strike_reports: sentences need a published_at or date column")
    start = _utc_naive(when)
    n = len(s)

    def col(name, default=None):
        return s[name].to_numpy(dtype=object) if name in s else np.full(n, default, dtype=object)

    target = pd.Series(col("target"), dtype=object)
    target_score = pd.to_numeric(pd.Series(col("target_score")), errors="coerce")
    sure = target_score.isna() | (target_score >= min_target_score)
    out = pd.DataFrame(
        {
            "report_id": s["sentence_id"].to_numpy(),
            "sentence_id": s["sentence_id"].to_numpy(),
            "document_id": col("document_id"),
            "start": start.to_numpy(),
            "date": start.dt.normalize().to_numpy(),
            "actor": col("actor"),
            "target_actor": col("target_actor"),
            "target_type": target.where(sure.to_numpy(), None).fillna("unspecified").to_numpy(),
            "target": target.to_numpy(),
            "target_score": target_score.to_numpy(),
            "launched": pd.to_numeric(pd.Series(col("launched")), errors="coerce").to_numpy(),
            "destroyed": pd.to_numeric(pd.Series(col("destroyed")), errors="coerce").to_numpy(),
            "weapons": [_as_list(v) for v in col("weapons")],
            "places": [_as_list(v) for v in col("places")],
            "action_score": pd.to_numeric(
                pd.Series(col("action_score")), errors="coerce"
            ).to_numpy(),
            "source": col("source"),
            "url": col("url"),
            "text": col("text"),
        },
        columns=REPORT_COLUMNS,
    )
    out = out[out["start"].notna()]
    return out.sort_values(["start", "sentence_id"], kind="stable").reset_index(drop=True)


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v == ""


def _compatible(report: dict, row: dict) -> bool:
    """Rule 2: a report and a structured row can be the same strike unless the evidence differs."""
    if (
        not _missing(report["target_actor"])
        and not _missing(row["target_actor"])
        and report["target_actor"] != row["target_actor"]
    ):
        return False
    a, b = report["_places"], row["_places"]
    return not (a and b and not (a & b))


def _ordered_union(lists) -> list[str]:
    out: list[str] = []
    for items in lists:
        out += [x for x in items if x not in out]
    return out


def _by_relevance(reps: list[dict], target) -> list[str]:
    """Sentence ids of an event's reports: those stating its target first (the ones that typed
    it), then by classifier confidence."""

    def key(x):
        score = x.get("action_score")
        score = 0.0 if _missing(score) else float(score)
        return (x["target_type"] != target, -score, x["sentence_id"])

    return [x["sentence_id"] for x in sorted(reps, key=key)]


def _largest(values, max_count: float) -> float:
    ok = [float(v) for v in values if not _missing(v) and float(v) <= max_count]
    return max(ok) if ok else np.nan


def _text_only_events(reports: list[dict], max_count: float) -> tuple[list[dict], list[dict]]:
    """Rule 4: the reports that attached to no structured row, merged among themselves."""
    events, links = [], []
    by_day: dict[tuple, list[dict]] = defaultdict(list)
    for r in reports:  # plain records: per-group frames were most of the time on the real case
        by_day[(r["actor"], r["_day"])].append(r)
    for (actor, day), recs in sorted(by_day.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        typed = sorted(
            {r["target_type"] for r in recs if r["target_type"] != "unspecified"},
            key=lambda t: -_TYPING_ORDER.get(t, 0),
        )
        by_target: dict[str, list[dict]] = defaultdict(list)
        for r in recs:
            t = r["target_type"]
            by_target[typed[0] if t == "unspecified" and typed else t].append(r)
        for target, group in by_target.items():
            # Components of the reports naming places, connected by a shared place.
            comps: list[tuple[set, list[dict]]] = []
            for r in (r for r in group if r["_places"]):
                hits = [c for c in comps if c[0] & r["_places"]]
                keys, members = set(r["_places"]), [r]
                for c in hits:
                    keys |= c[0]
                    members += c[1]
                    comps.remove(c)
                comps.append((keys, members))
            bare = [r for r in group if not r["_places"]]
            if comps:
                biggest = max(comps, key=lambda c: len(c[1]))
                biggest[1].extend(bare)
            else:
                comps.append((set(), bare))
            for _, members in comps:
                members.sort(key=lambda r: (r["start"], r["sentence_id"]))
                ids = _by_relevance(members, target)
                event_id = stable_hash(
                    "text-strike", actor, day.date().isoformat(), target, min(ids)
                )
                launched = _largest((r["launched"] for r in members), max_count)
                destroyed = _largest((r["destroyed"] for r in members), max_count)
                sources = sorted({str(r["source"]) for r in members if not _missing(r["source"])})
                tactors = [r["target_actor"] for r in members if not _missing(r["target_actor"])]
                events.append(
                    dict(
                        event_id=event_id,
                        start=members[0]["start"],
                        end=members[-1]["start"],
                        actor=actor,
                        target_actor=tactors[0] if tactors else None,
                        target_type=target,
                        launched=launched,
                        destroyed=destroyed,
                        weapon=", ".join(_ordered_union(r["weapons"] for r in members)) or None,
                        place=", ".join(_ordered_union(r["places"] for r in members)) or None,
                        source=",".join(sources) or None,
                        origin="text",
                        n_reports=len(members),
                        sentence_ids=ids,
                    )
                )
                links += [
                    dict(
                        event_id=event_id,
                        sentence_id=r["sentence_id"],
                        source=r["source"],
                        reason="same day, text only",
                    )
                    for r in members
                ]
    return events, links


def merge_strike_events(
    reports: pd.DataFrame,
    structured: pd.DataFrame | None = None,
    tz: str = "UTC",
    max_text_count: float = 1000.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Strike events from text reports and structured strike rows, by the module's merge rule.

    ``reports``: the frame of ``strike_reports``.
    ``structured``: the structured strike rows as ``repository.load_strikes`` gives them
    (event_id, start (UTC), actor, target_actor, target_type, launched, weapon, source, place;
    optional: end (UTC; without it a night attack's reports may attach to the next night's
    rows: give it), destroyed). None or empty: text-only events.

    Returns ``(events, links)``:
    - events: EVENT_COLUMNS, one row per strike event, sorted by start: every structured row
      (its target type filled from its reports where it had none) and the text-only events.
      ``date`` is the UTC day of ``start`` as in load_strikes; ``origin`` is structured | text
      | both; ``sentence_ids`` the reports that are its evidence; ``n_reports`` their number.
    - links: LINK_COLUMNS, one row per (event, report sentence), with the reason it attached.
    """
    reports = reports if reports is not None else pd.DataFrame(columns=REPORT_COLUMNS)
    rep = reports[reports["actor"].notna()].copy() if len(reports) else reports.copy()
    rep["_day"] = _local_day(rep["start"], tz) if len(rep) else pd.Series(dtype="datetime64[ns]")
    rep["_places"] = [place_keys(p) for p in rep["places"]] if len(rep) else []

    rows: list[dict] = []
    if structured is not None and len(structured):
        st = structured.copy()
        st["start"] = _utc_naive(st["start"])
        st["end"] = _utc_naive(st["end"]) if "end" in st else pd.NaT
        st["end"] = st["end"].fillna(st["start"])
        st["_first"] = _local_day(st["start"], tz)
        st["_last"] = _local_day(st["end"], tz)
        places = st["place"] if "place" in st else [None] * len(st)
        st["_places"] = [place_keys(p) for p in places]
        for c in ("destroyed", "weapon", "place", "target_actor", "source"):
            if c not in st:
                st[c] = None
        rows = st.to_dict("records")

    # Index of the structured rows by (actor, local day) for each of rule 1's three relations.
    ends_on, spans, ended_before = defaultdict(list), defaultdict(list), defaultdict(list)
    for i, r in enumerate(rows):
        if _missing(r["actor"]):
            continue
        ends_on[(r["actor"], r["_last"])].append(i)
        ended_before[(r["actor"], r["_last"] + pd.Timedelta(days=1))].append(i)
        d = r["_first"]
        while d < r["_last"]:
            spans[(r["actor"], d)].append(i)
            d += pd.Timedelta(days=1)
    attached: dict[int, list[dict]] = defaultdict(list)
    links: list[dict] = []
    leftover = []
    for rec in rep.to_dict("records"):
        key = (rec["actor"], rec["_day"])
        for index, reason in (
            (ends_on, "attack ended that day"),
            (spans, "during the attack"),
            (ended_before, "reported the day after the attack"),
        ):
            candidates = [i for i in index.get(key, ()) if _compatible(rec, rows[i])]
            if candidates:
                for i in candidates:
                    attached[i].append(rec)
                    links.append(
                        dict(
                            event_id=rows[i]["event_id"],
                            sentence_id=rec["sentence_id"],
                            source=rec["source"],
                            reason=reason,
                        )
                    )
                break
        else:
            leftover.append(rec)

    events = []
    for i, r in enumerate(rows):
        reps = attached.get(i, [])
        target = r.get("target_type")
        if (_missing(target) or target == "unspecified") and reps:
            target = max((x["target_type"] for x in reps), key=lambda t: _TYPING_ORDER.get(t, 0))
        events.append(
            dict(
                event_id=r["event_id"],
                start=r["start"],
                end=r["end"],
                actor=r["actor"],
                target_actor=r["target_actor"],
                target_type="unspecified" if _missing(target) else target,
                launched=r.get("launched"),
                destroyed=r.get("destroyed"),
                weapon=r.get("weapon"),
                place=r.get("place"),
                source=r.get("source"),
                origin="both" if reps else "structured",
                n_reports=len(reps),
                sentence_ids=_by_relevance(reps, target),
            )
        )
    text_events, text_links = _text_only_events(leftover, max_text_count)
    events += text_events
    links += text_links

    ev = pd.DataFrame(events, columns=EVENT_COLUMNS)
    if len(ev):
        ev["start"] = pd.to_datetime(ev["start"])
        ev["end"] = pd.to_datetime(ev["end"])
        ev["date"] = ev["start"].dt.normalize()
        for c in ("launched", "destroyed"):
            ev[c] = pd.to_numeric(ev[c], errors="coerce")
        ev = ev.sort_values(["start", "event_id"], kind="stable").reset_index(drop=True)
    return ev, pd.DataFrame(links, columns=LINK_COLUMNS)
