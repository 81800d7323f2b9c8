"""Who struck whom in a strike report: (actor, target_actor).

Read from the dependency parse of the strike sentence, in this order:

1. The striker named as the agent of a strike: the subject of an active strike verb ("the Kiev
   regime attacked ..."), the by-phrase of a passive one ("was attacked by drones of ..."), or
   the modifier of a strike noun ("Kiev's attack", "attacks by Ukrainian militants").
2. An interception names the weapon's side, not the interceptor's: "air defences shot down 4
   Russian drones" -> RUS; the interceptor's side is the target actor.
3. "The enemy" is the sole adversary (data/adversaries.tsv) of the source's home country; a
   source's own unit striking "the enemy" ("an Iskander crew hit enemy reserves") is the home
   side. Without a home country neither is read.
4. Otherwise the sole adversary of the side that was hit ("a missile hit a substation in
   Kharkiv" -> RUS), unless the sentence names a striker the gazetteers do not know ("rebel
   forces fired ...": then nobody is guessed), and last the source's default actor.

The target actor is the country of the first struck place (the strike details' place
gazetteer), else the first state, capital, place or demonym the sentence names other than the
actor, else the sole adversary of the actor. Names come from the actor gazetteer plus
data/strike_actors.tsv (armed forces, units, weapon systems only one side operates); a post
written all in lower case is matched without case. Part of ``detector.ATTRIBUTION_VERSION``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .gazetteer import Gazetteer, data_file, strike_gazetteer
from .sentences import LEAD_RE
from .spacy_models import SpacyPipelines

STRIKE_VERBS = {
    "attack",
    "strike",
    "hit",
    "shell",
    "bomb",
    "bombard",
    "launch",
    "fire",
    "target",
    "destroy",
    "eliminate",
    "wipe",
    "pound",
    "raid",
    "smash",
    "obliterate",
    "engage",
    "neutralise",
    "neutralize",
    "suppress",
    "ram",
    "disrupt",
    "deliver",
    "carry",
    "use",
    "employ",
    "deploy",
    "damage",
    "storm",
    "drop",
}
INTERCEPT_VERBS = {
    "intercept",
    "down",
    "shoot",
    "destroy",
    "neutralise",
    "neutralize",
    "suppress",
    "eliminate",
    "repel",
    "repulse",
    "jam",
}
STRIKE_NOUNS = {
    "attack",
    "strike",
    "shelling",
    "raid",
    "bombardment",
    "barrage",
    "bombing",
    "assault",
    "fire",
    "shell",
}
# Head nouns of what an interception downs.
_WEAPON_HEADS = {
    "drone",
    "uav",
    "missile",
    "rocket",
    "bomb",
    "munition",
    "projectile",
    "shahed",
    "geran",
    "aircraft",
    "helicopter",
    "jet",
}
_AERIAL_RE = re.compile(r"\baerial vehicles?\b", re.I)
# Heads of a subject that names an armed group: if the gazetteers cannot place it, the striker is
# unknown and no adversary is inferred.
_GROUP_HEADS = {
    "force",
    "rebel",
    "militant",
    "troop",
    "unit",
    "army",
    "fighter",
    "militia",
    "formation",
    "group",
    "gunman",
    "insurgent",
    "separatist",
    "brigade",
    "battalion",
}
_GROUP_RE = re.compile(
    r"\b(?:forces|rebels?|militants?|troops|units?|army|fighters|militias?|"
    r"formations|gunmen|insurgents|separatists|brigades?|battalions?)\b",
    re.I,
)
_ENEMY_RE = re.compile(r"\b(?:enemy|enemy's|enemies|hostile|adversary|adversary's|foe)\b", re.I)
_ACTOR_KINDS = ("force", "institution", "person", "state", "capital", "demonym")
_PLACE_KINDS = ("state", "capital", "place", "demonym")
ENEMY = "<enemy>"


def load_adversaries(path: str | Path | None = None) -> dict[str, frozenset[str]]:
    """actor -> its adversaries (data/adversaries.tsv, or ``path``)."""
    out: dict[str, set[str]] = {}
    for line in Path(path or data_file("adversaries.tsv")).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            actor, adversary = line.split("\t")[:2]
            out.setdefault(actor.strip(), set()).add(adversary.strip())
    return {k: frozenset(v) for k, v in out.items()}


def _span(tok) -> str:
    return tok.doc[tok.left_edge.i : tok.right_edge.i + 1].text


def _verb_subject(verb) -> list:
    """The subject (or by-agent) of a verb, looking through up to two participle or conjunct
    clauses to the verb they hang from ("Kiev ..., arranging an attack")."""
    for _ in range(3):
        kids = list(verb.children)
        agents = [g for c in kids if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"]
        subj = agents or [c for c in kids if c.dep_ == "nsubj"]
        if subj:
            return subj[:1]
        if verb.dep_ not in ("advcl", "conj", "xcomp") or verb.head.pos_ not in ("VERB", "AUX"):
            break
        verb = verb.head
    return []


def _clause_subject(noun) -> list:
    """Who carries out a strike noun: the subject of the verb it is the object of ("Kiev ...
    arranging an attack", "the strike was carried out by ...")."""
    if noun.dep_ not in ("dobj", "nsubjpass") or noun.head.pos_ != "VERB":
        return []
    return _verb_subject(noun.head)


class StrikeAttributor:
    """(actor, target_actor) of strike sentences. ``gazetteer`` (the strike gazetteer),
    ``adversaries`` and ``spacy`` come from the Annotator; alone, it loads its own."""

    def __init__(
        self,
        gazetteer: Gazetteer | None = None,
        adversaries: dict[str, frozenset[str]] | None = None,
        use_parser: bool = True,
        spacy: SpacyPipelines | None = None,
    ):
        self.gaz = gazetteer or strike_gazetteer()
        self.adversaries = adversaries if adversaries is not None else load_adversaries()
        self.use_parser = use_parser
        self.spacy = spacy or SpacyPipelines()  # loads only when a sentence needs the parse

    def sole_adversary(self, code: str | None) -> str | None:
        found = self.adversaries.get(code or "", frozenset())
        return next(iter(found)) if len(found) == 1 else None

    def side(self, phrase: str, fold: bool, weapons: bool = True) -> str | None:
        """The actor a phrase names (first by position; a weapon only when nothing else),
        ENEMY for "the enemy", else None."""
        found = [
            m
            for m in self.gaz.mentions(phrase, fold)
            if m.kind in _ACTOR_KINDS or (weapons and m.kind == "weapon")
        ]
        if found:
            people = [m for m in found if m.kind != "weapon"] or found
            return min(people, key=lambda m: m.start).code
        return ENEMY if _ENEMY_RE.search(phrase) else None

    # --- the parse ---------------------------------------------------------------------------
    def _agents(self, doc) -> list[tuple[str, Any, list]]:
        """(kind, agent token or None, object tokens) per strike word, nearest the root first;
        kind "strike" or "intercept"."""
        found = []
        fold = not any(ch.isupper() for ch in doc.text)
        for tok in doc:
            lemma = tok.lemma_.lower()
            depth = len(list(tok.ancestors))
            if tok.pos_ == "VERB" and lemma in STRIKE_VERBS | INTERCEPT_VERBS:
                kids = list(tok.children)
                passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in kids)
                objs = [c for c in kids if c.dep_ in ("dobj", "nsubjpass")]
                objs += [
                    g
                    for c in kids
                    if c.dep_ == "prep" and c.lower_ in ("on", "against", "at")
                    for g in c.children
                    if g.dep_ == "pobj"
                ]
                agents = [
                    g for c in kids if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"
                ]
                subj = agents if passive else _verb_subject(tok)
                downs = lemma != "shoot" or any(
                    c.dep_ == "prt" and c.lower_ == "down" for c in kids
                )
                intercept = (
                    lemma in INTERCEPT_VERBS
                    and downs
                    and any(
                        o.lemma_.lower() in _WEAPON_HEADS or _AERIAL_RE.search(_span(o))
                        for o in objs
                    )
                )
                if lemma in STRIKE_VERBS or intercept:
                    found.append(
                        (
                            depth,
                            tok.i,
                            "intercept" if intercept else "strike",
                            subj[0] if subj else None,
                            objs,
                        )
                    )
            elif tok.pos_ in ("NOUN", "PROPN") and lemma in STRIKE_NOUNS:
                mods = [c for c in tok.children if c.dep_ in ("poss", "compound", "amod", "nmod")]
                mods += [
                    g
                    for c in tok.children
                    if c.dep_ == "prep" and c.lower_ in ("by", "from")
                    for g in c.children
                    if g.dep_ == "pobj"
                ]
                mods = [m for m in mods if self.side(_span(m), fold)] or _clause_subject(tok)
                objs = [
                    g
                    for c in tok.children
                    if c.dep_ == "prep" and c.lower_ in ("on", "against")
                    for g in c.children
                    if g.dep_ == "pobj"
                ]
                found.append((depth, tok.i, "strike", mods[0] if mods else None, objs))
        found.sort(key=lambda f: (f[0], f[1]))
        return [f[2:] for f in found]

    def attribute_doc(
        self,
        doc,
        home: str | None = None,
        place_countries: Sequence[str | None] = (),
        default_actor: str | None = None,
    ) -> tuple[str | None, str | None]:
        text = doc.text
        fold = not any(ch.isupper() for ch in text)
        actor = target = None
        named_unknown = False
        m = _HEADLINE_AGENT_RE.match(text)
        if m:
            actor = self.side(m.group(1), fold, weapons=False)
            actor = None if actor == ENEMY else actor
        for kind, agent, objs in self._agents(doc) if actor is None and len(doc) else []:
            who = self.side(_span(agent), fold) if agent is not None else None
            what = next((s for s in (self.side(_span(o), fold) for o in objs) if s), None)
            if kind == "intercept":
                interceptor = who if who not in (None, ENEMY) else home
                owner = what if what != ENEMY else self.sole_adversary(interceptor)
                actor = owner or self.sole_adversary(interceptor)
                target = interceptor
                if actor:
                    break
                continue
            if who == ENEMY:
                who = self.sole_adversary(home)
            if who:
                actor = who
                break
            if home and (what == ENEMY or (what and what == self.sole_adversary(home))):
                actor = home  # the source's own side striking "the enemy"
                break
            if agent is not None and agent.lemma_.lower() in _GROUP_HEADS:
                named_unknown = True
        if actor is None and not named_unknown and _ENEMY_RE.search(text):
            # "servicemen of the Vostok group ... against the enemy's vehicles": a report naming
            # only its own side's forces and "the enemy"
            forces = {m.code for m in self.gaz.mentions(text, fold) if m.kind == "force"}
            if len(forces) == 1 and (home is None or forces == {home}):
                actor = forces.pop()
        if actor is None and not named_unknown:
            m = _LEGACY_AGENT_RE.search(text)
            if m:
                actor = self.gaz.lookup(
                    m.group(1).replace("'s", "").replace("’s", ""), fold_case=True
                )
        if target is None:
            target = next((c for c in place_countries if c and c != actor), None)
        if target is None:
            places = [
                m.code
                for m in self.gaz.mentions(text, fold)
                if m.kind in _PLACE_KINDS and m.code != actor
            ]
            target = places[0] if places else None
        if target is None and _ENEMY_RE.search(text) and actor:
            target = self.sole_adversary(actor)
        if actor is None and not named_unknown:
            actor = self.sole_adversary(target)
        if actor is None:
            actor = default_actor
        if target is None:
            target = self.sole_adversary(actor)
        return actor, target

    def parse(self, sentences: list[str]) -> list:
        """The parse of each sentence that needs one (a stand-in without a parse for the rest).
        Separate from ``attribute`` so that a caller can run it beside other work."""
        # Leading emoji and bullets of Telegram posts ("⚡️ at night, ...") parse as subjects.
        bare = [LEAD_RE.sub("", s) for s in sentences]
        docs: list = [_TextOnly(s) for s in bare]
        todo = [i for i, s in enumerate(bare) if self.use_parser and self.needs_parse(s)]
        if todo:
            for i, doc in zip(todo, self.spacy.parse([bare[i] for i in todo], batch_size=64)):
                docs[i] = doc
        return docs

    def attribute(
        self,
        sentences: list[str],
        homes: list[str | None] | None = None,
        place_countries: Sequence[Sequence[str | None]] | None = None,
        default_actors: list[str | None] | None = None,
        docs: list | None = None,
    ) -> list[tuple[str | None, str | None]]:
        """(actor, target_actor) per strike sentence. ``homes``: the side whose channel reports
        it; ``place_countries``: the countries of its struck places; ``docs``: from ``parse``."""
        n = len(sentences)
        homes = homes or [None] * n
        place_countries = place_countries or [[] for _ in range(n)]
        default_actors = default_actors or [None] * n
        docs = docs if docs is not None else self.parse(sentences)
        return [
            self.attribute_doc(doc, h, pc, d)
            for doc, h, pc, d in zip(docs, homes, place_countries, default_actors)
        ]

    def needs_parse(self, sentence: str) -> bool:
        """Whether the parse can change the answer: the sentence names an actor, "the enemy" or
        an armed group. Without one, only the places and the fallbacks apply (the parser is
        the slow part)."""
        fold = not any(ch.isupper() for ch in sentence)
        return bool(
            _ENEMY_RE.search(sentence)
            or _GROUP_RE.search(sentence)
            or any(
                m.kind in _ACTOR_KINDS or m.kind == "weapon"
                for m in self.gaz.mentions(sentence, fold)
            )
        )


class _TextOnly:
    """A sentence left unparsed (no name in it the parse could use, or use_parser=False): only
    the patterns and the fallbacks apply."""

    def __init__(self, text: str):
        self.text = text

    def __len__(self) -> int:
        return 0


# "Ukraine attacks Zaporozhye Region ...": headline verbs the small parser often reads as nouns.
_HEADLINE_AGENT_RE = re.compile(
    r"^((?:the )?[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){0,3})\s+(?:again |also |now )?"
    r"(?:attacks|strikes|shells|hits|bombs|pounds|launches|fires|targets)\b"
)
_LEGACY_AGENT_RE = re.compile(
    r"\b(Russian|Russia's|Ukrainian|Ukraine's|Israeli|American|Belarusian)\s+(?:\w+\s+){0,2}?"
    r"(forces|troops|army|military|drones?|missiles?|strikes?|attacks?|shelling|artillery|"
    r"aircraft|jets|bombers|UAVs?|navy|units)\b",
    re.IGNORECASE,
)
