"""commitments.v1: strikes in scope inside a declared ceasefire, moratorium or truce.

One violation flag per commitment and day with in-scope strikes by the committed actor.
Scope `energy` counts strikes on energy targets, `civilian` on civilian or energy targets
(energy infrastructure is civilian too), `all` every strike.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from ..records import Commitment, Flag

METHOD = "commitments.v1"
_SCOPES = {"energy": {"energy"}, "civilian": {"civilian", "energy"},
           "all": {"energy", "civilian", "military", "unspecified"}}


def find_violations(commitments: list[Commitment], strikes: pd.DataFrame) -> list[Flag]:
    flags = []
    for c in commitments:
        s = strikes[(strikes["actor"] == c.actor)
                    & strikes["target_type"].isin(_SCOPES[c.scope])
                    & (strikes["date"] >= pd.Timestamp(c.start))
                    & (strikes["date"] <= pd.Timestamp(c.end))]
        for day, group in s.groupby("date"):
            launched = pd.to_numeric(group["launched"], errors="coerce").fillna(1.0).sum()
            flags.append(Flag(kind="violation", actor=c.actor, start=day.date(), end=day.date(),
                              score=1.0, p_value=None, method=METHOD, action=float(launched),
                              strike_ids=list(group["event_id"]),
                              details={"commitment_id": c.id, "scope": c.scope,
                                       "commitment": c.description,
                                       "window": [c.start.isoformat(),
                                                  (c.end + timedelta(days=0)).isoformat()]}))
    return flags
