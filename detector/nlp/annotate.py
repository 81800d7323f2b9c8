"""Sentence labels (schema v1): classifier output plus speaker and strike attribution."""

from __future__ import annotations

from ..records import SentenceLabel
from .attribution import Attributor
from .classifier import SentenceClassifier


def annotate_sentences(sentences: list[str], default_speakers: list[str | None],
                       classifier: SentenceClassifier,
                       attributor: Attributor | None = None) -> list[SentenceLabel]:
    attributor = attributor or Attributor()
    heads = classifier.predict(sentences)
    speakers = attributor.speakers(sentences, default_speakers)
    out = []
    for text, h, speaker in zip(sentences, heads, speakers):
        actor = target_actor = None
        if h.action == "strike":
            actor, target_actor = attributor.strike_actors(text)
        out.append(SentenceLabel(stance=h.stance, stance_score=h.stance_score, action=h.action,
                                 action_score=h.action_score, target=h.target,
                                 target_score=h.target_score, speaker=speaker, actor=actor,
                                 target_actor=target_actor))
    return out


_SEVERITY = {"energy": 3, "civilian": 2, "unspecified": 1, "military": 0}


def document_label(labels: list[SentenceLabel], willing_threshold: float = 0.5) -> dict:
    """Document-level fields of the classify contract from its sentences' labels."""
    if not labels:
        return dict(stance="none", stance_score=0.0, speaker=None, action="none", target=None,
                    actor=None)
    willing = [x for x in labels if x.stance == "willing" and x.stance_score >= willing_threshold]
    unwilling = [x for x in labels if x.stance == "unwilling"]
    if willing:
        best = max(willing, key=lambda x: x.stance_score)
    elif unwilling:
        best = max(unwilling, key=lambda x: x.stance_score)
    else:
        best = max(labels, key=lambda x: x.stance_score if x.stance == "none" else 0.0)
    stance = best.stance if (willing or unwilling) else "none"
    strikes = [x for x in labels if x.action == "strike"]
    top_strike = max(strikes, key=lambda x: (_SEVERITY.get(x.target or "", 0), x.action_score),
                     default=None)
    return dict(stance=stance, stance_score=round(best.stance_score, 4), speaker=best.speaker,
                action="strike" if strikes else "none",
                target=top_strike.target if top_strike else None,
                actor=top_strike.actor if top_strike else None)
