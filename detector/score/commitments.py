"""commitments.v1: strikes in scope inside a declared ceasefire, moratorium or truce.

One violation flag per commitment and (local) day with in-scope strikes by the committed actor;
its evidence is those strike events, heaviest first.

Scope, as the data can test it:
- target: `energy` counts strikes on energy targets, `civilian` on civilian or energy targets
  (energy infrastructure is civilian too), `all` every strike (military and unspecified too).
- places (optional): a place-scoped commitment ("no strikes on Kyiv") counts only strikes whose
  `place` names one of the places, matched case-insensitively as whole words ("Kyiv" matches
  "Kyiv" and "Kyiv oblast and Odesa oblast", not "Kyivska"). A strike without a place, or with a
  country-wide one ("Ukraine"), is not evidence of a place-scoped violation.
- window: `start` to `end`, whole days inclusive, in the commitment's timezone, compared with the
  strike's start time (UTC in the store). Truces announced for an evening start are entered from
  that day, so strikes earlier on the first day would count; the description says the hours.
"""

from __future__ import annotations

import re

import pandas as pd

from ..records import Commitment, Flag
from ..vocab import SCOPE_TARGETS

METHOD = "commitments.v1"
SCOPES = SCOPE_TARGETS  # scope -> the target types it covers


def place_pattern(places: tuple[str, ...] | list[str]) -> re.Pattern | None:
    """A case-insensitive whole-word pattern for any of ``places``; None when there are none."""
    if not places:
        return None
    alts = "|".join(re.escape(p.strip()) for p in sorted(places, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alts})(?!\w)", re.IGNORECASE)


def _local_start(strikes: pd.DataFrame, tz: str) -> pd.Series:
    """Strike start times in ``tz`` (naive); frames without ``start`` fall back to ``date``."""
    if "start" in strikes and strikes["start"].notna().any():
        t = pd.to_datetime(strikes["start"], utc=True)
    else:
        t = pd.to_datetime(strikes["date"]).dt.tz_localize("UTC")
    return t.dt.tz_convert(tz).dt.tz_localize(None)


def in_scope(c: Commitment, strikes: pd.DataFrame) -> pd.DataFrame:
    """The strikes by ``c.actor`` inside ``c``'s window and scope, with their local day."""
    s = strikes[(strikes["actor"] == c.actor) & strikes["target_type"].isin(SCOPES[c.scope])]
    if s.empty:
        return s.assign(local_day=pd.Series(dtype="datetime64[ns]"))
    local = _local_start(s, c.timezone)
    s = s.assign(local_day=local.dt.normalize())
    s = s[(s["local_day"] >= pd.Timestamp(c.start)) & (s["local_day"] <= pd.Timestamp(c.end))]
    pattern = place_pattern(c.places)
    if pattern is not None:
        places = s["place"] if "place" in s else pd.Series("", index=s.index)
        s = s[places.fillna("").astype(str).map(lambda p: bool(pattern.search(p)))]
    return s


def find_violations(commitments: list[Commitment], strikes: pd.DataFrame) -> list[Flag]:
    flags = []
    for c in commitments:
        s = in_scope(c, strikes)
        for day, group in s.groupby("local_day"):
            n = pd.to_numeric(group["launched"], errors="coerce").fillna(1.0)
            group = group.assign(_n=n.to_numpy()).sort_values("_n", ascending=False)
            flags.append(
                Flag(
                    kind="violation",
                    actor=c.actor,
                    start=day.date(),
                    end=day.date(),
                    score=1.0,
                    p_value=None,
                    method=METHOD,
                    action=float(n.sum()),
                    strike_ids=list(group["event_id"]),
                    details={
                        "commitment_id": c.id,
                        "scope": c.scope,
                        "places": list(c.places),
                        "timezone": c.timezone,
                        "commitment": c.description,
                        "source": c.source,
                        "window": [c.start.isoformat(), c.end.isoformat()],
                    },
                )
            )
    return flags
