"""Scoring: pure functions over pandas frames, versioned by method name."""

from .commitments import METHOD as COMMITMENT_METHOD, find_violations
from .contradiction import METHOD as CONTRADICTION_METHOD, METHODS as CONTRADICTION_METHODS
from .contradiction import score_contradictions

__all__ = ["COMMITMENT_METHOD", "CONTRADICTION_METHOD", "CONTRADICTION_METHODS",
           "find_violations", "score_contradictions"]
