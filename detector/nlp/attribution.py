"""Who says a sentence (speaker) and who strikes whom (actor, target actor).

Cheap patterns first (headline suffixes, "Name: ..." prefixes, "according to ..."), then the
dependency parse, and only for sentences that have a speech verb: the parser is the slow part.
"""

from __future__ import annotations

import re

from .gazetteer import Gazetteer, load_gazetteer
from .spacy_models import load_spacy

SPEECH_LEMMAS = {"say", "state", "tell", "declare", "announce", "stress", "note", "add", "insist",
                 "warn", "claim", "emphasize", "emphasise", "reiterate", "confirm", "write",
                 "underline", "believe", "accuse", "argue", "assert", "affirm", "deny", "urge",
                 "call", "propose", "reply", "respond", "explain", "comment", "remark", "signal",
                 "suggest", "acknowledge", "admit", "repeat", "tweet", "post"}
_SPEECH_RE = re.compile(
    r"\b(said|says|say|stated|states|told|tells|declared|announced|stressed|noted|added|insisted|"
    r"warned|claimed|emphasi[sz]ed|reiterated|confirmed|wrote|underlined|believes|accused|"
    r"argued|asserted|affirmed|denied|urged|called|proposed|replied|responded|explained|"
    r"commented|remarked|signalled|signaled|suggested|acknowledged|admitted|repeated|posted)\b",
    re.IGNORECASE)
_SUFFIX_RE = re.compile(r"\s[-–—|]\s*([^-–—|]{2,60})$")
_PREFIX_RE = re.compile(r"^([A-Z][^:]{1,50}):\s+\S")
_ACCORDING_RE = re.compile(r"\b(?i:according to) ((?:the )?[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){0,4})")
_SPEAKER_KINDS = ("person", "institution", "state", "capital")
_AGENT_RE = re.compile(
    r"\b(Russian|Russia's|Ukrainian|Ukraine's|Israeli|American|Belarusian)\s+(?:\w+\s+){0,2}?"
    r"(forces|troops|army|military|drones?|missiles?|strikes?|attacks?|shelling|artillery|"
    r"aircraft|jets|bombers|UAVs?|navy|units)\b", re.IGNORECASE)


class Attributor:
    def __init__(self, gazetteer: Gazetteer | None = None, use_parser: bool = True):
        self.gaz = gazetteer or load_gazetteer()
        self.use_parser = use_parser

    # --- speaker ----------------------------------------------------------------------------
    def pattern_speaker(self, sentence: str) -> str | None:
        s = sentence.strip().rstrip(".")
        m = _SUFFIX_RE.search(s)
        if m and len(m.group(1).split()) <= 5:
            code = self.gaz.lookup(m.group(1), _SPEAKER_KINDS)
            if code:
                return code
        m = _PREFIX_RE.match(sentence.strip())
        if m and len(m.group(1).split()) <= 6:
            code = self.gaz.lookup(m.group(1), _SPEAKER_KINDS)
            if code:
                return code
        m = _ACCORDING_RE.search(sentence)
        if m:
            code = self.gaz.lookup(m.group(1), _SPEAKER_KINDS)
            if code:
                return code
        return None

    def needs_parse(self, sentence: str) -> bool:
        return bool(_SPEECH_RE.search(sentence)) and bool(self.gaz.mentions(sentence))

    def parse_speaker(self, doc) -> str | None:
        """The subject of the main speech verb, looked up in the gazetteer."""
        candidates = []
        for tok in doc:
            if tok.lemma_.lower() not in SPEECH_LEMMAS or tok.pos_ not in ("VERB", "AUX"):
                continue
            subjects = [c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")]
            agents = [g for c in tok.children if c.dep_ == "agent" for g in c.children]
            for subj in subjects + agents:
                phrase = doc[subj.left_edge.i: subj.right_edge.i + 1].text
                code = self.gaz.lookup(phrase, _SPEAKER_KINDS + ("demonym",))
                if code:
                    depth = len(list(tok.ancestors))
                    candidates.append((depth, tok.i, code))
        if not candidates:
            return None
        candidates.sort()  # the speech verb closest to the root speaks for the sentence
        return candidates[0][2]

    def speakers(self, sentences: list[str], defaults: list[str | None]) -> list[str | None]:
        out: list[str | None] = [None] * len(sentences)
        to_parse: list[int] = []
        for i, s in enumerate(sentences):
            out[i] = self.pattern_speaker(s)
            if out[i] is None and self.use_parser and self.needs_parse(s):
                to_parse.append(i)
        if to_parse:
            nlp = load_spacy("parse")
            for i, doc in zip(to_parse, nlp.pipe([sentences[i] for i in to_parse], batch_size=64)):
                out[i] = self.parse_speaker(doc)
        return [o if o is not None else d for o, d in zip(out, defaults)]

    # --- strike actors ----------------------------------------------------------------------
    def strike_actors(self, sentence: str, default_actor: str | None = None
                      ) -> tuple[str | None, str | None]:
        """(actor, target_actor) of a strike report: "Russian drones hit Kharkiv" -> (RUS, UKR)."""
        actor = None
        m = _AGENT_RE.search(sentence)
        if m:
            actor = self.gaz.lookup(m.group(1).replace("'s", "").replace("’s", ""))
        mentions = self.gaz.mentions(sentence)
        if actor is None:
            agents = [x for x in mentions if x.kind in ("state", "demonym", "institution")
                      and re.search(r"forces|army|military|troops|Russia|Ukraine|Israel",
                                    x.alias, re.I)]
            actor = agents[0].code if agents else default_actor
        places = [x.code for x in mentions if x.kind in ("place", "capital", "state")
                  and x.code != actor]
        target_actor = places[0] if places else None
        return actor, target_actor
