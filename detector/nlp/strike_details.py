"""Strike details of one sentence: counts launched and destroyed, weapon mentions, places.

Rules and two gazetteers written by the project (``data/weapons.tsv``, ``data/places.tsv``), plus
spaCy's named entities (GPE, LOC) for places the gazetteer does not list. The place gazetteer
wins over spaCy: the small English model tags "Kyiv" as a PERSON.

Counts:
* numbers in digits ("1,200") or words ("six", "twenty-five", "a dozen"); approximate forms
  ("over 100", "about 40", "up to 50") give the stated number; a range ("80-90", "80 to 90")
  gives its upper bound;
* a count is a number directly before a weapon mention ("476 drones", "18 Kh-101 cruise
  missiles") or before "(aerial) targets"; several in one sentence are summed per role
  ("476 drones and 48 missiles" -> 524);
* its role is "destroyed" when the nearest verb before it in its clause is a destroying verb
  (shot down, downed, destroyed, neutralised, intercepted, suppressed, jammed) or when it is
  followed by "were/was <destroying verb>", else "launched"; "X of Y drones" after a destroying
  verb gives destroyed X and launched Y; "N were shot down" and "all were intercepted" count
  as destroyed.

Mentions are returned as they appear in the text (the corpus's ``weapons`` / ``places`` fields);
``weapon_type`` and ``place_name`` map a mention to its canonical type or name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .gazetteer import Gazetteer, actor_gazetteer
from .spacy_models import SpacyPipelines

_TOKEN_RE = re.compile(
    r"\d{1,3}(?:,\d{3})+|\d+(?:[-–]\d+)?|[A-Za-z][A-Za-z0-9]*(?:[-/][A-Za-z0-9]+)*|[;:.!?()]"
)
_CLAUSE_BREAKS = {";", ":", ".", "!", "?", "(", ")"}
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "dozen": 12,
}
_SCALES = {"hundred": 100, "thousand": 1000}
# Words allowed between a number and its weapon ("40 Russian drones", "23 enemy missiles").
_FILLERS = {
    "russian",
    "ukrainian",
    "israeli",
    "iranian",
    "enemy",
    "hostile",
    "more",
    "new",
    "of",
    "various",
    "different",
    "types",
    "type",
}
_DESTROY_RE = re.compile(
    r"^(shot|shoot|shooting|downed|downing|down|destroyed|destroying|destroy|neutrali[sz]ed|"
    r"neutrali[sz]ing|intercepted|intercepting|intercept|suppressed|jammed|repelled|"
    r"eliminated|defeated|lost)$",
    re.I,
)
_LAUNCH_RE = re.compile(
    r"^(launched|launching|launch|launches|fired|firing|fires|fire|attacked|attacking|attacks|"
    r"used|using|sent|sending|targeted|aimed|dropped|dropping|struck|hit|hits|pounded|"
    r"unleashed|involved)$",
    re.I,
)
_DETERMINERS = {
    "a",
    "an",
    "the",
    "its",
    "their",
    "his",
    "her",
    "two",
    "several",
    "some",
    "dozens",
    "many",
    "all",
}
_NONE_DOWN_RE = re.compile(
    r"(?i)(?:^|[.!;:] )Not (?:intercepted|shot down|downed)\b|"
    r"\bnone (?:of them )?(?:was|were) (?:intercepted|shot down|downed)\b"
)
_PASSIVE_AUX = {"were", "was", "have", "has", "had", "been", "being", "be", "reportedly"}
_COUNT_HEADS = {
    ("targets",),
    ("aerial", "targets"),
    ("air", "targets"),
    ("objects",),
    ("means", "of", "air", "attack"),
    ("air", "attack", "means"),
}
_PLACE_SUFFIX = (
    r"(?:\s+(?:region|Region|oblast|Oblast|district|District|territory|Territory|krai|Krai|"
    r"province|Province|community))?"
)
_DISTRICT_RE = re.compile(r"(?<![\w-])([A-Z][\w'’-]+ (?:district|District|community|raion))\b")
_RIVERS = {"Dnipro", "Dnepr"}  # "the Dnipro" is the river, "Dnipro" the city
_DESIGNATOR_RE = re.compile(r"^[A-Z][A-Za-z]{0,3}-\d")
_CAPITALISED_RE = re.compile(r"(?<![\w'’-])[A-Z][\w'’-]*")
_SENTENCE_START_RE = re.compile(r"(?:^|[.!?:;]\s+|[-–—]\s+|[\"“(]\s*)$")
_MONTHS = {
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "in",
    "since",
    "of",
    "until",
    "by",
    "from",
    "year",
}
_EXCLUDED_LOC_RE = re.compile(r"\b(Sea|Ocean|River|Gulf|Strait)\b|^(north|south|east|west)", re.I)


@dataclass(frozen=True)
class StrikeDetails:
    launched: int | None = None
    destroyed: int | None = None
    weapons: tuple[str, ...] = ()
    places: tuple[str, ...] = ()


def _data_path(name: str) -> Path:
    with resources.as_file(resources.files("detector") / "data" / name) as p:
        return Path(p)


def _read_tsv(path: Path) -> list[list[str]]:
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append([c.strip() for c in line.split("\t")])
    return rows


def _number(tok: str) -> int | None:
    """Digits ("1,200"), ranges ("80-90" -> 90) or one number word ("six")."""
    t = tok.replace(",", "")
    if t[:1].isdigit():
        return int(re.split(r"[-–]", t)[-1])
    return _NUMBER_WORDS.get(tok.lower())


class DetailsExtractor:
    """Strike details of strike sentences. ``actors`` (the actor gazetteer, which vetoes
    spaCy's false places) and ``spacy`` come from the Annotator; alone, it loads its own."""

    def __init__(
        self,
        weapons_path: str | Path | None = None,
        places_path: str | Path | None = None,
        use_ner: bool = True,
        actors: Gazetteer | None = None,
        spacy: SpacyPipelines | None = None,
    ):
        self.use_ner = use_ner
        self.actors = actors or actor_gazetteer()
        self.spacy = spacy or SpacyPipelines()  # loads only when a sentence needs the NER
        # weapons: token tuple (lower-case) -> {kind: type}
        self.weapon_patterns: dict[tuple[str, ...], dict[str, str]] = {}
        self.named_case: dict[tuple[str, ...], str] = {}  # named systems keep their spelling
        for pattern, wtype, kind in _read_tsv(Path(weapons_path or _data_path("weapons.tsv"))):
            key = tuple(pattern.lower().split())
            self.weapon_patterns.setdefault(key, {})[kind] = wtype
            if kind == "named":
                self.named_case[key] = pattern
        self.max_pattern = max(len(k) for k in self.weapon_patterns)
        # places: variant -> (canonical, country, kind)
        self.places_table: dict[str, tuple[str, str, str]] = {}
        for variant, canonical, country, kind in _read_tsv(
            Path(places_path or _data_path("places.tsv"))
        ):
            self.places_table[variant] = (canonical, country, kind)
        names = sorted(
            (v for v, (_, _, k) in self.places_table.items() if k != "country"),
            key=len,
            reverse=True,
        )
        self._place_re = re.compile(
            r"(?<![\w-])("
            + "|".join(re.escape(n) for n in names)
            + r")"
            + r"("
            + _PLACE_SUFFIX
            + r")(?![\w-])"
        )
        self._lower_places = {v.lower(): v for v in self.places_table}

    # --- canonical forms ---------------------------------------------------------------------
    def weapon_type(self, mention: str) -> str | None:
        toks = _TOKEN_RE.findall(mention)
        found = self._weapon_mentions(toks)
        return found[0][2] if found else None

    def weapon_types(self, mentions) -> list[str]:
        out: list[str] = []
        for m in mentions:
            t = self.weapon_type(m)
            if t and t not in out:
                out.append(t)
        return out

    def place_name(self, mention: str) -> str:
        if mention in self.places_table:
            return self.places_table[mention][0]
        m = re.match(
            r"^(.*?)(?:\s+(region|oblast|district|territory|krai|province|community))?$",
            mention.strip(),
            re.I,
        )
        assert m is not None  # the pattern matches every string
        base, suffix = m.group(1), (m.group(2) or "").lower()
        canonical = self.places_table.get(
            base, self.places_table.get(self._lower_places.get(base.lower(), ""), (base, "", ""))
        )[0]
        if suffix in ("region", "oblast"):
            return (
                f"{canonical} Oblast"
                if self.places_table.get(base, ("", "", ""))[2] == "city"
                else canonical
            )
        return f"{canonical} {suffix}" if suffix else canonical

    def place_country(self, mention: str) -> str | None:
        """The country code of a place mention ("Kharkiv region" -> UKR), None if unknown."""
        m = re.match(
            r"^(.*?)(?:\s+(?:region|oblast|district|territory|krai|province|community))?$",
            mention.strip(),
            re.I,
        )
        assert m is not None  # the pattern matches every string
        for key in (mention, m.group(1), self._lower_places.get(m.group(1).lower(), "")):
            if key in self.places_table:
                return self.places_table[key][1] or None
        return None

    def place_names(self, mentions) -> list[str]:
        out: list[str] = []
        for m in mentions:
            n = self.place_name(m)
            if n not in out:
                out.append(n)
        return out

    # --- weapons -----------------------------------------------------------------------------
    def _tag(self, toks: list[str], i: int) -> tuple[int, dict[str, str]]:
        """Longest weapon pattern starting at token i: (length, {kind: type})."""
        low = [t.lower() for t in toks[i : i + self.max_pattern]]
        for n in range(len(low), 0, -1):
            key = tuple(low[:n])
            kinds = self.weapon_patterns.get(key)
            if n == 1 and kinds is None:
                tok = low[0]
                for suffix in ("-type", "-class", "-style"):  # "Shahed-type drones"
                    if tok.endswith(suffix) and (tok[: -len(suffix)],) in self.weapon_patterns:
                        kinds = {
                            k: v
                            for k, v in self.weapon_patterns[(tok[: -len(suffix)],)].items()
                            if k == "named"
                        } or None
                if kinds is None and tok.endswith("s") and (tok[:-1],) in self.weapon_patterns:
                    kinds = {
                        k: v for k, v in self.weapon_patterns[(tok[:-1],)].items() if k == "named"
                    } or None  # "Shaheds", "KABs"
            if kinds:
                if "named" in kinds and not toks[i][:1].isupper():
                    kinds = {k: v for k, v in kinds.items() if k != "named"}  # "grad", "taurus"
                    if not kinds:
                        continue
                return n, kinds
        return 0, {}

    def _weapon_mentions(self, toks: list[str]) -> list[tuple[int, int, str]]:
        """(start token, end token, type) of each weapon mention."""
        tags = []
        i = 0
        while i < len(toks):
            n, kinds = self._tag(toks, i)
            if n:
                tags.append((i, i + n, kinds))
                i += n
            else:
                tags.append((i, i + 1, {}))
                i += 1
        out = []
        j = 0
        while j < len(tags):
            start, end, kinds = tags[j]
            if not kinds:
                j += 1
                continue
            named = kinds.get("named")
            k = j
            mods: list[str] = []
            # Extend over modifiers (and named systems) while the next tag continues the phrase.
            while True:
                s, e, kd = tags[k]
                nxt = tags[k + 1] if k + 1 < len(tags) else None
                continues = (
                    nxt is not None
                    and nxt[0] == e
                    and bool(nxt[2])
                    and ("head" in nxt[2] or "mod" in nxt[2])
                )
                if "head" in kd and not ("mod" in kd and continues):
                    head = kd["head"]
                    out.append((start, e, self._resolve(named, mods, head)))
                    j = k + 1
                    break
                if "mod" in kd or ("named" in kd and k == j):
                    if "mod" in kd:
                        mods.append(kd["mod"])
                    if continues:
                        k += 1
                        continue
                if named:  # a named system with no head noun after it: "Kalibr", "HIMARS"
                    out.append((start, tags[j][1], named))
                j = k + 1
                break
        return out

    @staticmethod
    def _resolve(named: str | None, mods: list[str], head: str) -> str:
        if named:
            return named
        family = head.rsplit("_", 1)[-1]
        for m in mods:
            if m != "-" and m.rsplit("_", 1)[-1] == family:
                return m
        return head

    # --- counts ------------------------------------------------------------------------------
    def _counts(
        self, toks: list[str], mentions: list[tuple[int, int, str]]
    ) -> tuple[int | None, int | None]:
        starts = {s: e for s, e, _ in mentions}
        launched: list[int] = []
        destroyed: list[int] = []
        verb = None  # "launch" | "destroy": the nearest verb before, within the clause
        i, n = 0, len(toks)
        while i < n:
            tok = toks[i]
            low = tok.lower()
            if tok in _CLAUSE_BREAKS:
                verb = None
                i += 1
                continue
            if _DESTROY_RE.match(tok):
                verb = "destroy"
                i += 1
                continue
            if _LAUNCH_RE.match(tok):
                verb = "launch"
                i += 1
                continue
            if low == "all" and i + 1 < n:
                # "all were intercepted", "All 14 Shahed drones ... shot down",
                # "all three shot down"
                value, width = self._read_number(toks, i + 1)
                if value is None:
                    if self._passive_destroy(toks, i + 1) and launched:
                        destroyed.append(sum(launched))
                    i += 1
                    continue
                group, end = self._count_group(toks, i + 1, starts)
                total = sum(v for v, _ in group) if group else value
                end = end if group else i + 1 + width
                if group or not launched:
                    launched.append(total)
                if self._destroy_later_in_clause(toks, end):
                    destroyed.append(total)
                i = end
                continue
            group, end = self._count_group(toks, i, starts)
            if group:
                passive = self._passive_destroy(toks, end, allow_bare=True)
                for value, of_total in group:
                    if of_total is not None:  # "54 of 72 drones"
                        launched.append(of_total)
                        if verb == "destroy" or passive:
                            destroyed.append(value)
                    elif passive or verb == "destroy":
                        destroyed.append(value)
                    else:
                        launched.append(value)
                i = end
                continue
            value, width = self._read_number(toks, i)
            if value is not None and not self._is_year(toks, i, value):
                j = i + width
                if verb == "destroy" and [t.lower() for t in toks[j : j + 2]] in (
                    ["of", "them"],
                    ["of", "these"],
                ):
                    destroyed.append(value)  # "air defence destroyed 444 of them"
                    i = j + 2
                    continue
                if self._passive_destroy(
                    toks, j
                ):  # "63 were neutralised", "of which 16 were shot down"
                    destroyed.append(value)
                    i = j
                    continue
            i += 1
        result_destroyed = sum(destroyed) if destroyed else None
        if result_destroyed is None and launched and _NONE_DOWN_RE.search(" ".join(toks)):
            result_destroyed = 0  # "Not intercepted", "none of them was shot down"
        return (sum(launched) if launched else None, result_destroyed)

    def _count_group(
        self, toks: list[str], i: int, starts: dict[int, int]
    ) -> tuple[list[tuple[int, int | None]], int]:
        """Counted weapons from token i: "476 drones and 48 missiles", "40 missiles, 600 drones",
        "54 of 72 drones", "142 out of 170 UAVs" -> ([(value, total or None), ...], end token)."""
        items: list[tuple[int, int | None]] = []
        end = i
        k = i
        while k < len(toks):
            value, width = self._read_number(toks, k)
            if value is None or self._is_year(toks, k, value):
                break
            j = k + width
            total = None
            of = (
                2
                if [t.lower() for t in toks[j : j + 2]] == ["out", "of"]
                else (1 if j < len(toks) and toks[j].lower() == "of" else 0)
            )
            if of:
                t_val, t_width = (
                    self._read_number(toks, j + of) if j + of < len(toks) else (None, 1)
                )
                if t_val is not None:
                    total, j = t_val, j + of + t_width
            head_end = self._count_head(toks, j, starts)
            if not head_end:
                break
            items.append((value, total))
            end = head_end
            k = head_end
            if k < len(toks) and toks[k].lower() in ("and", "plus"):
                k += 1
        return items, end

    @staticmethod
    def _is_year(toks: list[str], i: int, value: int) -> bool:
        """ "since March 2024, Russian missiles ..." is a date, not a count."""
        return (
            len(toks[i]) == 4 and 1900 <= value <= 2100 and i > 0 and toks[i - 1].lower() in _MONTHS
        )

    @staticmethod
    def _destroy_later_in_clause(toks: list[str], j: int) -> bool:
        for tok in toks[j:]:
            if tok in _CLAUSE_BREAKS:
                return False
            if _DESTROY_RE.match(tok) and tok.lower() not in (
                "down",
                "shoot",
                "destroy",
                "intercept",
            ):
                return True
        return False

    def _read_number(self, toks: list[str], i: int) -> tuple[int | None, int]:
        tok = toks[i]
        low = tok.lower()
        if low == "a" and i + 1 < len(toks) and toks[i + 1].lower() == "dozen":
            return 12, 2
        if low == "dozen":
            return None, 1
        if "-" in low and not low[:1].isdigit():  # "twenty-five"
            parts = low.split("-")
            if len(parts) == 2 and parts[0] in _NUMBER_WORDS and parts[1] in _NUMBER_WORDS:
                return _NUMBER_WORDS[parts[0]] + _NUMBER_WORDS[parts[1]], 1
            return None, 1
        value = _number(tok)
        if value is None:
            return None, 1
        width = 1
        if i + 1 < len(toks) and toks[i + 1].lower() in _SCALES:  # "two hundred"
            value *= _SCALES[toks[i + 1].lower()]
            width = 2
        if i + width + 1 < len(toks) and toks[i + width].lower() == "to":  # "80 to 90"
            upper = _number(toks[i + width + 1])
            if upper is not None and upper > value:
                return upper, width + 2
        return value, width

    def _count_head(self, toks: list[str], j: int, starts: dict[int, int]) -> int:
        """End token of the weapon (or "targets") that the number before token j counts, or 0."""
        k = j
        while k < len(toks) and k - j < 3:
            if k in starts:
                return starts[k]
            for head in _COUNT_HEADS:
                if tuple(t.lower() for t in toks[k : k + len(head)]) == head:
                    return k + len(head)
            if toks[k].lower() not in _FILLERS:
                return 0
            k += 1
        return 0

    @staticmethod
    def _passive_destroy(toks: list[str], j: int, allow_bare: bool = False) -> bool:
        """ "were shot down", "was intercepted", "of them were destroyed" after token j; with
        allow_bare also the headline participle ("42 of 48 drones downed overnight"), but not
        an active verb with an object ("5 drones destroyed a depot")."""
        k = j
        seen_aux = False
        while k < len(toks) and k - j < 5:
            low = toks[k].lower()
            if low in _PASSIVE_AUX:
                seen_aux = True
            elif low in ("of", "them", "which", "successfully", "also"):
                pass
            elif _DESTROY_RE.match(low):
                if seen_aux:
                    return True
                nxt = toks[k + 1].lower() if k + 1 < len(toks) else "."
                if low == "shot":
                    nxt = toks[k + 2].lower() if k + 2 < len(toks) else "."
                return (
                    allow_bare
                    and low.endswith(("ed", "shot"))
                    and nxt not in _DETERMINERS
                    and _number(nxt) is None
                )
            else:
                return False
            k += 1
        return False

    # --- places ------------------------------------------------------------------------------
    def _gazetteer_places(
        self, text: str
    ) -> tuple[list[tuple[int, int, str]], list[tuple[int, int]]]:
        """(places, spans deliberately skipped so that spaCy does not add them back)."""
        out, skipped = [], []
        for m in self._place_re.finditer(text):
            name = m.group(1)
            if (
                name in _RIVERS
                and not m.group(2)
                and text[max(0, m.start() - 4) : m.start()].lower() == "the "
            ):
                skipped.append((m.start(), m.end()))
                continue
            out.append((m.start(), m.end(), m.group(0)))
        for m in _DISTRICT_RE.finditer(text):
            out.append((m.start(1), m.end(1), m.group(1)))
        return out, skipped

    def _ner_places(self, doc, taken: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
        actors = self.actors
        out = []
        for ent in doc.ents:
            if ent.label_ not in ("GPE", "LOC"):
                continue
            span = ent
            if span[0].lower_ == "the":
                span = span[1:]
            if not len(span):
                continue
            text = span.text
            start, end = span.start_char, span.end_char
            if text.endswith(("'s", "’s")):
                text, end = text[:-2], end - 2
            if not text[:1].isupper() or _EXCLUDED_LOC_RE.search(text):
                continue
            row = self.places_table.get(text)
            if row and row[2] == "country":
                continue
            if any(s < end and start < e for s, e in taken):
                continue
            # spaCy's GPE/LOC also catches demonyms, people, organisations and weapon names
            # ("Ukrainian", "Sobyanin", "Geran"): the actor and weapon gazetteers veto them.
            if any(m.kind != "place" and m.kind != "capital" for m in actors.mentions(text)):
                continue
            toks = _TOKEN_RE.findall(text)
            if any(self._tag(toks, k)[0] for k in range(len(toks))) or _DESIGNATOR_RE.match(text):
                continue  # weapon names and designators ("Geran", "Su-34")
            out.append((start, end, text))
        return out

    # --- the whole sentence ------------------------------------------------------------------
    def extract(self, text: str) -> StrikeDetails:
        return self.extract_many([text])[0]

    def extract_many(self, texts: list[str]) -> list[StrikeDetails]:
        partial = []
        for text in texts:
            spans = list(_TOKEN_RE.finditer(text))
            toks = [m.group() for m in spans]
            mentions = self._weapon_mentions(toks)
            launched, destroyed = self._counts(toks, mentions)
            weapons: list[str] = []
            for s, e, _ in mentions:
                # The mention as written: from its first to its last token in the text.
                w = text[spans[s].start() : spans[e - 1].end()]
                if w not in weapons:
                    weapons.append(w)
            places, skipped = self._gazetteer_places(text)
            covered = (
                [(x, y) for x, y, _ in places]
                + skipped
                + [(spans[s].start(), spans[e - 1].end()) for s, e, _ in mentions]
            )
            partial.append((launched, destroyed, weapons, places, covered))
        # spaCy's NER (the slow part) only where a capitalised word is left unexplained.
        need = [
            i
            for i, (text, p) in enumerate(zip(texts, partial))
            if self.use_ner and self._unexplained_names(text, p[4])
        ]
        docs: dict[int, object] = {}
        if need:
            docs = dict(zip(need, self.spacy.ner([texts[i] for i in need], batch_size=256)))
        out = []
        for i, (launched, destroyed, weapons, places, covered) in enumerate(partial):
            if i in docs:
                places = places + self._ner_places(docs[i], covered)
            names: list[str] = []
            for _, _, p in sorted(places):
                if p not in names:
                    names.append(p)
            out.append(StrikeDetails(launched, destroyed, tuple(weapons), tuple(names)))
        return out

    def _unexplained_names(self, text: str, covered: list[tuple[int, int]]) -> bool:
        """A capitalised word, not opening a sentence, that no gazetteer accounts for."""
        covered = covered + [(m.start, m.end) for m in self.actors.mentions(text)]
        for m in _CAPITALISED_RE.finditer(text):
            start = m.start()
            if _SENTENCE_START_RE.search(text[:start]):
                continue
            if not any(x <= start < y for x, y in covered):
                return True
        return False
