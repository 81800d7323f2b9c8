from __future__ import annotations

import re
from pathlib import Path

import pytest

from detector.nlp.classifier import HeadOutput

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"


class KeywordClassifier:
    """A small fake behind the classifier interface, for unit tests only."""

    version = "fake-keywords-v0"

    def predict(self, texts):
        out = []
        for t in texts:
            low = t.lower()
            if re.search(r"not ready|unacceptable|reject", low):
                stance = "unwilling"
            elif re.search(r"ready for (peace|talks)|open to (talks|a settlement)", low):
                stance = "willing"
            else:
                stance = "none"
            strike = bool(re.search(r"\b(struck|drones? hit|missiles? hit|attacked)\b", low))
            target = None
            if strike:
                target = "energy" if re.search(r"power|energy|substation", low) else "civilian"
            out.append(HeadOutput(stance=stance, stance_score=0.9,
                                  stance_probs={stance: 0.9}, action="strike" if strike else "none",
                                  action_score=0.9, target=target,
                                  target_score=0.9 if strike else None))
        return out


@pytest.fixture
def fake_classifier():
    return KeywordClassifier()


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def real_dir():
    if not REAL.is_dir():
        pytest.skip("../shared/data/real is absent (real data is only on development machines)")
    return REAL
