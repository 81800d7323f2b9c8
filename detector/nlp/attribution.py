"""Who says a sentence (speaker) and who strikes whom (actor, target actor).

Cheap patterns first (headline suffixes "... - Kremlin", "Name: ..." prefixes, "according to
..."), then the dependency parse, and only for sentences that have a speech or stance verb and
a gazetteer name: the parser is the slow part. Parses are cached per text.

Speaker, in order: the patterns (a headline suffix with a title reads its nationality,
"— senior Russian diplomat" -> RUS; a bare title, "— diplomat", the headline's own subject
state, else the source's home country); the subject of the main-clause speech verb ("...,
Lavrov said") or stance verb ("Zelensky rejects ...", "Kyiv rules out ..."); the source's
default; and, only where there is no default, a headline subject stating its own position
("Hungary ready to host ...") or the subject of the reported clause when a generic title speaks
("Russia is ready ..., the president said" -> RUS). Strike actors: ``strike_attribution`` (a
sibling, owned with this one by ``detector.nlp.annotate.Annotator``). The
rules' version is ``detector.ATTRIBUTION_VERSION``, stored with every prediction.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

from .gazetteer import Gazetteer, actor_gazetteer
from .sentences import LEAD_RE
from .spacy_models import SpacyPipelines

SPEECH_LEMMAS = {
    "say",
    "state",
    "tell",
    "declare",
    "announce",
    "stress",
    "note",
    "add",
    "insist",
    "warn",
    "claim",
    "emphasize",
    "emphasise",
    "reiterate",
    "confirm",
    "write",
    "underline",
    "believe",
    "accuse",
    "argue",
    "assert",
    "affirm",
    "deny",
    "urge",
    "call",
    "propose",
    "reply",
    "respond",
    "explain",
    "comment",
    "remark",
    "signal",
    "suggest",
    "acknowledge",
    "admit",
    "repeat",
    "tweet",
    "post",
}
# Verbs by which an actor takes a position itself: their subject speaks ("Kyiv rejects the plan").
STANCE_LEMMAS = {
    "reject",
    "rule",
    "dismiss",
    "vow",
    "accept",
    "agree",
    "offer",
    "refuse",
    "welcome",
    "pledge",
    "promise",
    "threaten",
    "demand",
    "oppose",
    "support",
    "endorse",
    "back",
    "seek",
    "insist",
    "rebuff",
    "spurn",
}
_SPEECH_RE = re.compile(
    r"\b(said|says|say|stated|states|told|tells|declared|announced|stressed|noted|added|insisted|"
    r"warned|claimed|emphasi[sz]ed|reiterated|confirmed|wrote|underlined|believes|accused|"
    r"argued|asserted|affirmed|denied|urged|called|proposed|replied|responded|explained|"
    r"commented|remarked|signalled|signaled|suggested|acknowledged|admitted|repeated|posted|"
    r"rejects?|rejected|rules? out|ruled out|dismiss(?:es|ed)?|vows?|vowed|accepts?|accepted|"
    r"agrees?|agreed|offers?|offered|refuses?|refused|welcomes?|welcomed|pledges?|pledged|"
    r"promises?|promised|threatens?|threatened|demands?|demanded|opposes?|opposed|"
    r"supports?|supported|endorses?|endorsed|backs|backed|seeks|sought|rebuff(?:s|ed)?)\b",
    re.IGNORECASE,
)
_SAY = (
    r"(?:said|says|told|tells|stress(?:ed|es)|not(?:ed|es)|add(?:ed|s)|insist(?:ed|s)|"
    r"warn(?:ed|s)|claim(?:ed|s)|emphasi[sz](?:ed|es)|reiterat(?:ed|es)|stat(?:ed|es)|"
    r"declar(?:ed|es)|announc(?:ed|es)|wrote|writes|post(?:ed|s)|underlin(?:ed|es)|"
    r"repli(?:ed|es)|explain(?:ed|s)|remark(?:ed|s)|confirm(?:ed|s)|argu(?:ed|es)|"
    r"acknowledg(?:ed|es)|admit(?:ted|s))"
)
_NAME = r"(?:the )?[A-Z][\w'’.-]*(?: (?:[A-Z][\w'’.-]*|of|for|de|von|der|la)){0,5}"
# "..., Lavrov said." / "..., Peskov told reporters on Monday." and "Macron said ...":
# the common quote shapes, read without the parser when the name is in the gazetteer.
_TAIL_SAY_RE = re.compile(
    r",\s+(" + _NAME + r")\s+" + _SAY + r"(?:\s+[\w'’-]+){0,5}\s*[.!]?[\"”’]?$"
)
# A name or a nationality followed by a title: "Senior Russian diplomat", "US envoy".
_NAME_TITLE = (
    _NAME + r"(?:\s+(?:[a-z]+\s+){0,2}?(?:diplomats?|envoy|ambassador|officials?|"
    r"lawmakers?|senators?|experts?|spokes(?:man|woman|person)|minister|ministry|"
    r"leader|MPs?|aide|negotiator|representative|PM|premier))?"
)
_HEAD_SAY_RE = re.compile(r"^(" + _NAME_TITLE + r")\s+" + _SAY + r"\b")
# "..., said Lavrov" (the inverted order of translated wires; the name may be lower-cased there).
_TAIL_SAID_NAME_RE = re.compile(
    r",\s+" + _SAY + r"\s+((?:[\w'’.-]+)(?: [\w'’.-]+){0,3}?)\s*[.!]?$", re.IGNORECASE
)
# The reporting frame at a sentence's end: ", Putin said.", ", he told reporters on Monday.",
# ", said Lavrov.", ", according to the Kremlin.". It names who speaks, not what is said.
_REPORTING_TAIL_RES = (
    re.compile(
        r",[\"”’]?\s+(?:"
        + _NAME_TITLE
        + r"|he|she|they|it|we)\s+"
        + _SAY
        + r"(?:\s+[\w'’-]+){0,6}\s*[.!]?[\"”’]?$"
    ),
    _TAIL_SAID_NAME_RE,
    re.compile(r",\s+(?i:according to)(?:\s+[\w'’.-]+){1,6}\s*[.!]?$"),
)


def reported_content(text: str) -> str:
    """The sentence without a reporting frame at its end ("Russia is ready to talk, Peskov
    said." -> "Russia is ready to talk."): what was said, for a stance model that should judge
    the content alone. A sentence of fewer than four words once stripped is kept whole."""
    for pattern in _REPORTING_TAIL_RES:
        stripped = pattern.sub(".", text)
        if stripped != text and len(stripped.split()) >= 4:
            return stripped
    return text


# Headlines whose subject states its own position: "Russia ready for further talks ...",
# "Iran wants ...", "Putin hopes for ...", "South Africa calls for ...". No comma in the subject:
# "Russia, US close to ..." is a joint report, not one party's statement.
_HEAD_STANCE_RE = re.compile(
    r"^(" + _NAME_TITLE + r")\s+(?:is |are |was |were |has |have |still |again |also |not |now )*"
    r"(?i:ready|prepared|open to|willing|unwilling|wants?|hopes?|hails?|welcomes?|seeks?|"
    r"reaffirms?|expresses|accuses|"
    r"rejects?|intends?|calls? for|calls? on|urges?|demands?|refuses?|proposes?|plans?|vows?|"
    r"pledges?|insists?|continues?|counts on|awaits?|expects?|prefers?|rules? out|condemns?|"
    r"denies|den(?:y|ied)|will|won[’']t|to (?:consider|continue|propose|offer|seek|send|hold|"
    r"resume|join|discuss|study|respond)|committed|determined|interested|concerned|stands? "
    r"(?:ready|by)|considers?|supports?|backs|opposes?|accepts?)\b"
)
# Generic speaker titles ("— senior diplomat", "— Foreign Ministry", "— Russian MP"): they name
# an office, not a state; the state comes from a nationality in the phrase, the headline's own
# subject, or the outlet's home country.
_TITLE_RE = re.compile(
    r"\b(?i:diplomats?|ministry|ministries|MFA|minister|ambassador|envoy|spokes(?:man|woman|person)|"
    r"officials?|senators?|MPs?|lawmakers?|deputy|aide|advis[eo]r|president|leader(?:ship)?|"
    r"parliament\w*|committee|embassy|government|cabinet|army|military|general staff|"
    r"defen[cs]e|commander|chief|head|representative|negotiator|delegation|secretary|"
    r"department|experts?|analysts?|security council|presidential|administration|speaker|"
    r"PM|premier|prime minister|chancellor|governor|mayor|general|press service|press office)\b"
)
# Suffixes crediting a medium, not a speaker: the schema's speaker is then unknown. A press
# secretary or press service is an office of the speaker, not a medium.
_MEDIA_RE = re.compile(
    r"\b(?i:media|agency|newspaper|paper|TV|report|reports|outlet|channel|sources?|"
    r"press(?! (?:secretary|service|office|attach))|"
    r"journal|magazine|broadcaster|poll|survey|Axios|WSJ|Reuters|Bloomberg|Politico|CNN|BBC|"
    r"Times|Post|Guardian|Telegraph|Izvestia|Kommersant|Vedomosti)\b"
)
# "ambassador to Austria", "envoy to NATO": where an official is posted, not whose official.
_POSTED_RE = re.compile(r"\s+(?:to|in|at|with|on)\s+.*$")
# A hyphen inside a word ("ex-PM", "Kyiv-based") does not end the suffix.
_SUFFIX_RE = re.compile(r"\s[-–—|]\s*((?:[^-–—|]|(?<=\w)-(?=\w)){2,60})$")
_PREFIX_RE = re.compile(r"^([A-Z][^:]{1,50}):\s+\S")
_ACCORDING_RE = re.compile(r"\b(?i:according to) ((?:the )?[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){0,4})")
_SPEAKER_KINDS = ("person", "institution", "state", "capital")
# Clauses that are not the sentence's own assertion: "Should Kyiv confirm ...", "a truce that
# Russia declared": a speech verb inside them does not name the speaker.
_EMBEDDED_DEPS = {"relcl", "acl", "advcl", "pcomp", "csubj", "amod", "xcomp", "pobj", "prep"}
_ACTION_LEMMAS = {
    "attack",
    "strike",
    "hit",
    "fire",
    "launch",
    "target",
    "use",
    "drop",
    "aim",
    "try",
    "send",
    "shell",
    "bomb",
    "move",
    "deploy",
    "occupy",
    "make",
    "have",
    "can",
    "could",
    "tell",
    "probe",
    "test",
}
_CACHE_SIZE = 50_000


def doc_span(tok) -> str:
    return tok.doc[tok.left_edge.i : tok.right_edge.i + 1].text


class Attributor:
    """Speakers of sentences. ``gazetteer`` and ``spacy`` come from the Annotator; alone, it
    loads its own."""

    def __init__(
        self,
        gazetteer: Gazetteer | None = None,
        use_parser: bool = True,
        spacy: SpacyPipelines | None = None,
    ):
        self.gaz = gazetteer or actor_gazetteer()
        self.use_parser = use_parser
        self.spacy = spacy or SpacyPipelines()  # loads only when a sentence needs the parse
        # text -> (strong speaker, weak speaker) from the parse; bounded, oldest out first
        self._parsed: OrderedDict[str, tuple[str | None, str | None]] = OrderedDict()

    # --- speaker ----------------------------------------------------------------------------
    def pattern_speaker(self, sentence: str, home: str | None = None) -> str | None:
        s = sentence.strip().rstrip(".")
        m = _SUFFIX_RE.search(s)
        if m and len(m.group(1).split()) <= 6:
            code = self.suffix_speaker(m.group(1), s[: m.start()], home)
            if code:
                return code
        m = _PREFIX_RE.match(sentence.strip())
        if m and len(m.group(1).split()) <= 6:
            # Only people and institutions: "Kyiv: explosions ..." names a place, and
            # "Russia has struck our energy again: ..." is a clause, not a speaker.
            code = self.gaz.lookup(m.group(1), ("person", "institution"))
            if code:
                return code
        m = _ACCORDING_RE.search(sentence)
        if m:
            code = self.gaz.lookup(m.group(1), _SPEAKER_KINDS)
            if code:
                return code
        return None

    def title_code(self, phrase: str) -> str | None:
        """The actor an official's title names through a nationality: "senior Russian diplomat"
        -> RUS, "US envoy to NATO" -> USA; "ambassador to Austria" -> None (where he is posted)."""
        if not _TITLE_RE.search(phrase):
            return None
        core = re.sub(r"\b(?i:ex|former)-", "", _POSTED_RE.sub("", phrase))
        return self.gaz.lookup(core, _SPEAKER_KINDS + ("demonym",))

    def head_subject(self, head: str) -> str | None:
        """The state or capital a headline opens with ("Iran ready ...", "Tehran, Moscow ...")."""
        m = re.match(_NAME, head.strip())
        return self.gaz.lookup(m.group(0), ("state", "capital")) if m else None

    def suffix_speaker(self, suffix: str, head: str, home: str | None = None) -> str | None:
        """The speaker a headline suffix names ("— Kremlin", "— Iranian Foreign Ministry");
        for a bare title ("— senior diplomat", "— MFA"), the headline's own subject state,
        else the outlet's home country. Media credits ("— WSJ", "— agency") name nobody."""
        if _MEDIA_RE.search(suffix):
            return None
        core = _POSTED_RE.sub("", suffix)
        code = self.gaz.lookup(core, _SPEAKER_KINDS)
        if code is None and _TITLE_RE.search(core):
            code = self.title_code(core) or self.head_subject(head) or home
        return code

    def head_stance_speaker(self, sentence: str) -> str | None:
        """The subject of a headline that states its own position ("Russia ready for further
        talks", "Senior Russian diplomat rules out ...")."""
        m = _HEAD_STANCE_RE.match(sentence.strip())
        if not m:
            return None
        return self.gaz.lookup(m.group(1), _SPEAKER_KINDS) or self.title_code(m.group(1))

    def quick_speaker(self, sentence: str) -> str | None:
        """The speaker of the two common quote shapes, without the parser (None: parse)."""
        for rx in (_TAIL_SAY_RE, _HEAD_SAY_RE):
            m = rx.search(sentence.strip())
            if m:
                code = self.gaz.lookup(
                    m.group(1), _SPEAKER_KINDS + ("demonym",)
                ) or self.title_code(m.group(1))
                if code:
                    return code
        m = _TAIL_SAID_NAME_RE.search(sentence.strip())
        if m:
            # Translated wires lower-case names ("..., said trump"): look up as a name.
            name = " ".join(w[:1].upper() + w[1:] for w in m.group(1).split())
            return self.gaz.lookup(name, ("person", "institution", "state", "capital"))
        return None

    def needs_parse(self, sentence: str) -> bool:
        return bool(_SPEECH_RE.search(sentence)) and bool(self.gaz.mentions(sentence))

    def _subject_code(self, doc, subj, kinds) -> str | None:
        """The actor a subject names, looking first at the subject without its prepositional
        phrases ("Russia's envoy to the UN" -> RUS, "The Russian embassy in Washington" -> RUS)."""
        skip: set[int] = set()
        for t in subj.subtree:
            if t.dep_ == "prep" and t.i != subj.i:
                skip.update(x.i for x in t.subtree)
        core = " ".join(t.text_with_ws.strip() if t.i not in skip else "" for t in subj.subtree)
        core = re.sub(r"\s+", " ", core).replace(" 's", "'s").replace(" ,", ",").strip()
        code = self.gaz.lookup(core, kinds)
        if code is None:
            phrase = doc[subj.left_edge.i : subj.right_edge.i + 1].text
            code = self.gaz.lookup(phrase, kinds) or self.title_code(core)
        return code

    @staticmethod
    def _embedded(tok) -> bool:
        return any(t.dep_ in _EMBEDDED_DEPS for t in [tok, *tok.ancestors] if t.dep_ != "ROOT")

    def _parse_speakers(self, doc) -> tuple[str | None, str | None]:
        """(strong, weak): strong is the named subject of the main-clause speech or stance verb;
        weak, when that subject is a generic title ("the president"), is the state or capital
        that is the subject of the reported clause."""
        verbs: list[tuple[int, int, Any, list, tuple[str, ...]]] = []
        kinds: tuple[str, ...]
        for tok in doc:
            lemma = tok.lemma_.lower()
            if tok.pos_ not in ("VERB", "AUX") or self._embedded(tok):
                continue
            if lemma in SPEECH_LEMMAS:
                kinds = _SPEAKER_KINDS + ("demonym",)
            elif lemma in STANCE_LEMMAS:
                kinds = _SPEAKER_KINDS
            else:
                continue
            subjects = [c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")]
            if lemma in STANCE_LEMMAS and any(
                c.dep_ == "conj" for s_ in subjects for c in s_.children
            ):
                continue  # "Israel and Hamas agreed": a joint act, nobody's own statement
            agents = [g for c in tok.children if c.dep_ == "agent" for g in c.children]
            if subjects or agents:
                verbs.append((len(list(tok.ancestors)), tok.i, tok, subjects + agents, kinds))
        if not verbs:
            return None, None
        verbs.sort(key=lambda v: (v[0], v[1]))  # the verb closest to the root speaks
        top = verbs[0][0]
        weak = None
        for depth, _, tok, subjects, kinds in verbs:
            if depth != top:
                break
            for subj in subjects:
                code = self._subject_code(doc, subj, kinds)
                if code:
                    return code, None
            if weak is None and tok.lemma_.lower() in SPEECH_LEMMAS:
                weak = self._reported_subject(tok)
        return None, weak

    def _reported_subject(self, verb) -> str | None:
        """ "Russia is ready ..., the president said": the state or capital that is the subject
        of the clause the speech verb reports (its ccomp, or its head when it is parenthetical)."""
        clauses = [c for c in verb.children if c.dep_ == "ccomp"]
        if verb.dep_ in ("parataxis", "ccomp", "conj") and verb.head is not verb:
            clauses.append(verb.head)
        for clause in clauses:
            if clause.lemma_.lower() in _ACTION_LEMMAS:
                continue  # "Russia attacked ..., the air force said" reports the other side's act
            for subj in clause.children:
                if subj.dep_ in ("nsubj", "nsubjpass"):
                    code = self.gaz.lookup(doc_span(subj), ("state", "capital"))
                    if code:
                        return code
        return None

    def speakers(
        self,
        sentences: list[str],
        defaults: list[str | None],
        homes: list[str | None] | None = None,
    ) -> list[str | None]:
        """Per sentence: the speaker its own attribution names; else its source's default;
        else (sources without a default: wires reporting others) the subject of a headline that
        states its own position, or the state a generic speaker refers to. ``homes``: the
        outlet's home country per sentence, for bare titles ("... - senior diplomat")."""
        homes = homes or [None] * len(sentences)
        out: list[str | None] = [None] * len(sentences)
        weak: list[str | None] = [None] * len(sentences)
        to_parse: dict[str, list[int]] = {}
        for i, s in enumerate(sentences):
            bare = LEAD_RE.sub("", s)
            out[i] = self.pattern_speaker(bare, homes[i]) or self.quick_speaker(bare)
            if out[i] is None and defaults[i] is None:
                weak[i] = self.head_stance_speaker(bare)
            if out[i] is None and self.use_parser and self.needs_parse(s):
                if s in self._parsed:
                    self._parsed.move_to_end(s)
                    out[i] = self._parsed[s][0]
                    weak[i] = weak[i] or self._parsed[s][1]
                else:
                    to_parse.setdefault(s, []).append(i)
        if to_parse:
            texts = list(to_parse)
            for text, doc in zip(texts, self.spacy.parse(texts, batch_size=64)):
                result = self._parsed[text] = self._parse_speakers(doc)
                for i in to_parse[text]:
                    out[i] = result[0]
                    weak[i] = weak[i] or result[1]
            while len(self._parsed) > _CACHE_SIZE:
                self._parsed.popitem(last=False)
        return [
            o if o is not None else (d if d is not None else w)
            for o, d, w in zip(out, defaults, weak)
        ]
