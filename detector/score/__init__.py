"""Scoring: pure functions over pandas frames, versioned by method name.

``SCORERS`` is the one list of contradiction methods: ``[scoring] method`` in a config may name
any of them (``detector.config``) and the pipeline calls the one named. A scorer takes the
statements and strikes frames and the ScoringConfig and returns (series, flags), each flag
naming its method. A new method is one line here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import pandas as pd

from ..records import Flag
from .commitments import METHOD as COMMITMENT_METHOD
from .commitments import find_violations
from .contradiction import METHOD as CONTRADICTION_METHOD
from .contradiction import score_contradictions
from .contradiction_v3 import METHOD as CONTRADICTION_V3_METHOD
from .contradiction_v3 import coupling_test, score_contradictions_v3
from .deeds import merge_strike_events, strike_reports

if TYPE_CHECKING:
    from ..config import ScoringConfig

Scorer = Callable[[pd.DataFrame, pd.DataFrame, "ScoringConfig"], tuple[pd.DataFrame, list[Flag]]]

SCORERS: dict[str, Scorer] = {
    "contradiction.v1": score_contradictions,
    # The same scores as v1; exact circular-shift p-values (see score/contradiction.py).
    "contradiction.v2": score_contradictions,
}
CONTRADICTION_METHODS = tuple(SCORERS)

__all__ = ["COMMITMENT_METHOD", "CONTRADICTION_METHOD", "CONTRADICTION_METHODS",
           "CONTRADICTION_V3_METHOD", "SCORERS", "Scorer", "coupling_test", "find_violations",
           "merge_strike_events", "score_contradictions", "score_contradictions_v3",
           "strike_reports"]
