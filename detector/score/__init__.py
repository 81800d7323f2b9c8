"""Scoring: pure functions over pandas frames, versioned by method name."""

from .commitments import METHOD as COMMITMENT_METHOD, find_violations
from .contradiction import METHOD as CONTRADICTION_METHOD, METHODS as CONTRADICTION_METHODS
from .contradiction import score_contradictions
from .contradiction_v3 import METHOD as CONTRADICTION_V3_METHOD
from .contradiction_v3 import coupling_test, score_contradictions_v3
from .deeds import merge_strike_events, strike_reports

__all__ = ["COMMITMENT_METHOD", "CONTRADICTION_METHOD", "CONTRADICTION_METHODS",
           "CONTRADICTION_V3_METHOD", "coupling_test", "find_violations",
           "merge_strike_events", "score_contradictions", "score_contradictions_v3",
           "strike_reports"]
