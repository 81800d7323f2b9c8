"""Two baselines the classifier must beat: hand-written keyword rules and similarity to label
descriptions (the schema's own wording, encoded with the project's MiniLM encoder).

Both return, per sentence, a dict with the fields the evaluation reads: stance, action, target,
speaker, actor (and confidences where a baseline has them). Neither attributes speakers: they
give the source's default speaker, which is what a system without attribution would store.
"""

from __future__ import annotations

import re

import numpy as np

_UNWILLING = re.compile(
    r"\b(unacceptable|reject\w*|refus\w*|not ready|no (?:talks|ceasefire|truce|negotiations)|"
    r"until\b.{0,50}\b(?:goals|objectives|achieved)|will not (?:stop|agree|accept|sign)|"
    r"won't (?:stop|agree|accept|sign)|by military means|by force|continue (?:the )?(?:war|fight\w*|"
    r"special military operation)|impossible without|premature|out of the question)\b",
    re.IGNORECASE)
_PEACE = (r"(?:talks|negotiat\w*|peace\w*|settle\w*|ceasefire|cease-fire|truce|moratorium|dialogue|"
          r"prisoner exchange|exchange of prisoners|memorandum)")
_READY = (r"(?:ready|readiness|open|willing|prepared|commit\w*|agree\w*|propos\w*|seek\w*|want\w*|"
          r"in favou?r|continue|resume)")
_WILLING = re.compile(rf"\b{_READY}\b.{{0,50}}\b{_PEACE}\b|\b{_PEACE}\b.{{0,30}}\b{_READY}\b",
                      re.IGNORECASE)
_NOT_STRIKE = re.compile(r"\b(hunger strike|labou?r strike|strike (?:down|a deal|a balance)|"
                         r"strikes? a blow|cyber ?attacks?)\b", re.IGNORECASE)
_STRIKE = re.compile(
    r"\b(struck|strikes?|attack(?:ed|s|ing)?|shell(?:ed|ing|s)?|hits?|drones?|uavs?|missiles?|"
    r"bomb\w*|artillery|airstrikes?|air strikes?|rockets?|mortars?|howitzers?|mlrs|shot down)\b",
    re.IGNORECASE)
_ENERGY = re.compile(r"\b(energy|power|substations?|electric\w*|grid|thermal|oil|gas|refiner\w*|"
                     r"fuel|heating|npp)\b", re.IGNORECASE)
_CIVILIAN = re.compile(
    r"\b(civilians?|residential|homes?|houses?|apartments?|hospitals?|schools?|kindergartens?|"
    r"markets?|shops?|stores?|bus(?:es)?|cars?|ambulances?|children|child|people|residents|"
    r"church|hotel|port|railway|station)\b", re.IGNORECASE)
_MILITARY = re.compile(
    r"\b(positions?|troops|military|base|strongholds?|command posts?|hardware|manpower|brigade|"
    r"armou?red|tanks?|materiel|dugouts?|depots?|units?|servicemen|afu|forces)\b", re.IGNORECASE)
_AGENT = re.compile(r"\b(Russian|Ukrainian|Israeli|American|Iranian)\b", re.IGNORECASE)
_AGENT_CODES = {"russian": "RUS", "ukrainian": "UKR", "israeli": "ISR", "american": "USA",
                "iranian": "IRN"}


def keyword_predict(texts: list[str], default_speakers: list[str | None]) -> list[dict]:
    out = []
    for text, speaker in zip(texts, default_speakers):
        if _UNWILLING.search(text):
            stance = "unwilling"
        elif _WILLING.search(text):
            stance = "willing"
        else:
            stance = "none"
        strike = bool(_STRIKE.search(text)) and not _NOT_STRIKE.search(text)
        target = actor = None
        if strike:
            if _ENERGY.search(text):
                target = "energy"
            elif _CIVILIAN.search(text):
                target = "civilian"
            elif _MILITARY.search(text):
                target = "military"
            else:
                target = "unspecified"
            m = _AGENT.search(text)
            actor = _AGENT_CODES[m.group(1).lower()] if m else None
        out.append({"stance": stance, "stance_score": None, "action": "strike" if strike else "none",
                    "action_score": None, "target": target, "speaker": speaker, "actor": actor})
    return out


# Class descriptions, from the label schema (DESIGN.md, "Label schema (v1)").
DESCRIPTIONS = {
    "stance": {
        "willing": "We are ready to negotiate, cease fire, settle the conflict and pursue peace; we "
                   "propose or accept talks, a truce, a moratorium or a prisoner exchange.",
        "unwilling": "We reject talks, a truce or the peace proposal; the war goes on until our "
                     "goals are met; a ceasefire now is unacceptable to us.",
        "none": "A statement about something else: an accusation against the other side, a "
                "third party's assessment, another conflict, finance, trade or daily news.",
    },
    "action": {
        "strike": "An attack with missiles, drones, artillery or bombs hit a target.",
        "none": "No attack is reported: diplomacy, politics, economy, exercises or other news.",
    },
    "target": {
        "energy": "A strike hit energy infrastructure: a power plant, substation, power grid, gas "
                  "facility, heating plant, oil refinery or fuel depot.",
        "civilian": "A strike hit civilians: homes, apartment buildings, hospitals, schools, "
                    "markets, transport, ports or people.",
        "military": "A strike hit military targets: troops, positions, bases, strongholds, "
                    "command posts, weapons and military equipment.",
        "unspecified": "A strike hit an area or a town; the target is not specified.",
    },
}


def similarity_predict(texts: list[str], default_speakers: list[str | None], encoder) -> list[dict]:
    """Each head: the class whose description is most cosine-similar to the sentence."""
    X = encoder.encode(texts)
    picks = {}
    for head, descs in DESCRIPTIONS.items():
        labels = list(descs)
        D = encoder.encode([descs[k] for k in labels])
        sims = X @ D.T  # embeddings are L2-normalised: dot product is cosine
        picks[head] = (labels, sims)
    out = []
    for i, speaker in enumerate(default_speakers):
        row = {"speaker": speaker, "actor": None}
        for head, (labels, sims) in picks.items():
            row[head] = labels[int(np.argmax(sims[i]))]
        row["stance_score"] = row["action_score"] = None
        if row["action"] != "strike":
            row["target"] = None
        out.append(row)
    return out
