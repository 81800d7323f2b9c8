"""models/train_overrule.py: the overrule the bar is chosen for is the one the cascade runs."""

import numpy as np

from models.train_overrule import overrule

LABELS = ["willing", "unwilling", "none"]


def test_overrule_replaces_only_labels_the_head_finds_implausible():
    stances = ["willing", "willing", "unwilling", "none"]
    probs = {
        0: np.array([0.6, 0.1, 0.3]),  # the head agrees enough: stays
        1: np.array([0.1, 0.3, 0.6]),  # willing at 0.1: the head's best other label, none
        2: np.array([0.7, 0.15, 0.15]),  # unwilling at 0.15: willing
    }
    assert overrule(stances, probs, LABELS, 0.2) == ["willing", "none", "willing", "none"]
    assert overrule(stances, probs, LABELS, 0.0) == stances
