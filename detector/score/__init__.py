"""Scoring: pure functions over pandas frames, versioned by method name.

``SCORERS`` is the one list of contradiction methods: ``[scoring] method`` in a config may name
any of them (``detector.config``) and the pipeline calls the one named. A scorer takes the
statements and strikes frames and the ScoringConfig and returns (series, flags), each flag
naming its method. A new method is one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

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


def score_v3(
    statements: pd.DataFrame, strikes: pd.DataFrame, cfg: ScoringConfig
) -> tuple[pd.DataFrame, list[Flag]]:
    """contradiction.v3 under the common signature (the coupling rows left out). The pipeline
    calls ``score_contradictions_v3`` itself, with the merged strike events, the structured
    statements, and keeps the coupling (``COUPLING_SCORERS``)."""
    series, flags, _ = score_contradictions_v3(statements, strikes, cfg)
    return series, flags


SCORERS: dict[str, Scorer] = {
    "contradiction.v1": score_contradictions,
    # The same scores as v1; exact circular-shift p-values (see score/contradiction.py).
    "contradiction.v2": score_contradictions,
    # Level rule, episodes and a per-actor coupling test over the deeds from text and structured
    # rows (score/contradiction_v3.py; the default).
    CONTRADICTION_V3_METHOD: score_v3,
}
# Scorers that read the merged strike events and the structured statements and return a third
# frame, the per-actor coupling test: (statements, strikes, cfg, structured) -> (series, flags,
# coupling).
COUPLING_SCORERS = {CONTRADICTION_V3_METHOD: score_contradictions_v3}
CONTRADICTION_METHODS = tuple(SCORERS)

__all__ = [
    "COMMITMENT_METHOD",
    "CONTRADICTION_METHOD",
    "CONTRADICTION_METHODS",
    "CONTRADICTION_V3_METHOD",
    "COUPLING_SCORERS",
    "SCORERS",
    "Scorer",
    "coupling_test",
    "find_violations",
    "merge_strike_events",
    "score_contradictions",
    "score_contradictions_v3",
    "score_v3",
    "strike_reports",
]
