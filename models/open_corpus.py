"""Real official sentences from the open-licensed sources, labelled for stance (training data).

    python models/open_corpus.py --build OUT.jsonl        # join the labels to the texts
    python models/open_corpus.py --candidates OUT.jsonl   # the seeded annotation candidates
    python models/open_corpus.py                          # resolve the labels, print counts

Sources (read in place; none of their text is committed) and their default speaker:

    whitehouse    ../shared/data/open/whitehouse-briefings/**/*.md     USA   CC0 1.0
                  (White House briefing room; github.com/brian14708/wh-briefings)
    kremlin       ../shared/data/real/zelenskyy-putin-press-releases/putin.csv   RUS   CC BY 4.0
                  (Kremlin, en.kremlin.ru; Oct 2021 - Jun 2022, incl. the 2022 negotiations)
    kremlin_feed  ../shared/data/real/kremlin-atom-feed/*.atom.xml     RUS   CC BY 4.0
                  (Kremlin, en.kremlin.ru; Aug 2020)

Nothing else under ../shared/data/real is read: the other real files are evaluation-only.

models/data/open_labels.jsonl holds one line per labelled sentence, keyed by ``source``,
``doc`` (the document's id: the Markdown path under whitehouse-briefings, the Kremlin item
number), ``block`` (the paragraph: 0 is the title) and ``sent`` (the sentence's index in the
block), plus ``hash`` (sha256 of the whitespace-normalised sentence, as models/real_dev.py).
A block is split on its own, so rebuilding splits only the blocks that carry labels.

Transcripts: a White House paragraph that opens with a name label ("MS. PSAKI:", "PRESIDENT
ZELENSKYY:") starts that person's turn, which runs until the next label; the label is cut from
the sentence and kept as ``turn`` (reporters' questions, "Q", are never candidates). Kremlin
transcripts mark turns inline ("Vladimir Putin: ...", "Emmanuel Macron (retranslated): ...");
the same applies per sentence. The ``speaker`` label is the hand-given speaker: the turn's
state when the turn is not a US (White House) or Russian (Kremlin) official, null for
journalists.

The candidate selection is weighted to the hard kinds of stance (issue 15): talk about talks,
ceasefires and settlement; the same words about other topics and conflicts; threats;
conditions; accusations; third parties; plus plain sentences (``pool`` records which pattern
chose a sentence; the labels are read and assigned by hand, see models/ANNOTATION.md).

Three seeded stages, each drawn only from what the stages before it left, appended in order
(so a stage never changes the candidates or indices of the ones before it):

1. pools tried in order: threat, condition, accusation, other topic or conflict, third party,
   talks with a party named, other talks, keyword-free (``QUOTAS``);
2. sentences that name the war next to a talk word or a readiness / rejection cue (``STAGE2``);
3. own stance (second labelling round, issue 15: stages 1-2 gave 46 willing and 18 unwilling
   of 2,110): sentences where a speaker may state its OWN position on talks, a ceasefire or a
   settlement, in sub-pools tried in this order: ``own_ukr`` (a Ukrainian official's turn in a
   White House transcript), ``own_refuse`` ("no talks until", "will not negotiate",
   "pointless", "refuse", "not ready", "unacceptable", "reject"), ``own_goals`` (war goals,
   "by military means", "until"), ``own_ready`` ("ready / prepared / open / willing to
   negotiate|talk|meet", "readiness for talks"), ``own_commit`` ("we seek / remain committed
   to / the door to diplomacy", "a diplomatic solution"). A sentence qualifies only in the
   first person or naming a party (Russia, Ukraine, the US, ...), outside a reporter's turn.
   The patterns catch the contrasts too (the same words on other topics and conflicts,
   threats, conditions, accusations, reports of what others said): they choose what is read,
   never the label. Quotas per source and sub-pool in ``STAGE3``; at most ``_PER_DOC`` x 2
   sentences per document over stage 3; seeded per source and sub-pool, then one seeded
   shuffle of the whole stage (``{seed}:order3``). Only blocks stage 1 splits are searched
   (those with a talk, threat or accusation word, and the 1-in-40 keyword-free sample).
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import random
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# After the path insert above: the file also runs as a script (python models/open_corpus.py).
from detector.errors import InputError, NotFoundError  # noqa: E402
from models.real_dev import _loose, normalise, text_hash  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
OPEN_DIR = SHARED / "open"
REAL_DIR = SHARED / "real"
LABELS_PATH = ROOT / "models" / "data" / "open_labels.jsonl"
SEED = 2615

SOURCES = {
    "whitehouse": {"default_speaker": "USA", "licence": "CC0-1.0",
                   "attribution": "The White House, whitehouse.gov (public domain; CC0 1.0 via "
                                  "github.com/brian14708/wh-briefings)"},
    "kremlin": {"default_speaker": "RUS", "licence": "CC-BY-4.0",
                "attribution": "Kremlin, en.kremlin.ru"},
    "kremlin_feed": {"default_speaker": "RUS", "licence": "CC-BY-4.0",
                     "attribution": "Kremlin, en.kremlin.ru"},
}


def source_paths(open_dir: Path = OPEN_DIR, real_dir: Path = REAL_DIR) -> dict[str, Path]:
    return {"whitehouse": Path(open_dir) / "whitehouse-briefings",
            "kremlin": Path(real_dir) / "zelenskyy-putin-press-releases" / "putin.csv",
            "kremlin_feed": Path(real_dir) / "kremlin-atom-feed"}


# ---- documents -> blocks -------------------------------------------------------------------

_WH_TURN_RE = re.compile(r"^((?:[A-Z][A-Z.'’\-]*\s?){1,5}(?:\([^)]{1,40}\))?):\s+")
_WH_Q_RE = re.compile(r"^Q(?::|\s{2,}|\s+(?=[A-Z“\"]))|^Q$")
_MD_LINK_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# Kremlin inline turns: "Vladimir Putin:", "President of Russia Vladimir Putin:",
# "Emmanuel Macron (retranslated):", "Question:"
_KR_TURN_RE = re.compile(
    r"^((?:[A-Z][\w.'’\-]*\s){0,5}[A-Z][\w.'’\-]*(?:\s\(retranslated\))?):\s+")


def _clean_md(text: str) -> str:
    text = _MD_LINK_RE.sub(r"\1", text)
    text = text.replace("\\_", " ").replace("\\", "").replace("**", "").replace("__", "")
    text = re.sub(r"^#+\s*", "", text)
    return " ".join(text.split())


def _wh_blocks(path: Path) -> list[tuple[str, str | None]]:
    """(paragraph, turn) of one White House Markdown file; block 0 is the title."""
    raw = path.read_text(encoding="utf-8")
    title = ""
    if raw.startswith("---"):
        end = raw.find("\n---", 3)
        front, raw = raw[3:end], raw[end + 4:]
        m = re.search(r"^title:\s*(.*)$", front, re.MULTILINE)
        if m:
            title = m.group(1).strip().strip("'\"")
    blocks: list[tuple[str, str | None]] = [(_clean_md(title), None)]
    turn = None
    for para in re.split(r"\n\s*\n", raw):
        para = _clean_md(para)
        if not para:
            continue
        if _WH_Q_RE.match(para):
            turn = "Q"
            para = _WH_Q_RE.sub("", para).strip()
        else:
            m = _WH_TURN_RE.match(para)
            if m:
                turn = " ".join(m.group(1).split())
                para = para[m.end():]
        blocks.append((para, turn))
    return blocks


def _kremlin_docs(path: Path) -> dict[str, list[tuple[str, str | None]]]:
    csv.field_size_limit(1 << 30)
    docs = {}
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = {"link", "headline", "summary", "body"} - set(reader.fieldnames or [])
        if missing:
            raise InputError(f"{path}: no column(s) {sorted(missing)}; the file's layout "
                             "changed, update models/open_corpus.py")
        for row in reader:
            doc = row["link"].rstrip("/").rsplit("/", 1)[-1]
            docs[doc] = [(row["headline"] or "", None), (row["summary"] or "", None),
                         (row["body"] or "", None)]
    return docs


def _html_paragraphs(fragment: str) -> list[str]:
    fragment = re.sub(r"(?i)</p>|<br\s*/?>", "\n", fragment or "")
    text = html.unescape(re.sub(r"<[^>]+>", " ", fragment)).replace("\u00a0", " ")
    return [" ".join(p.split()) for p in text.split("\n") if p.strip()]


def _feed_docs(folder: Path) -> dict[str, list[tuple[str, str | None]]]:
    ns = {"a": "http://www.w3.org/2005/Atom"}
    docs = {}
    for path in sorted(folder.glob("*.atom.xml")):
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            raise InputError(f"{path}: not a readable Atom file ({exc})") from exc
        for entry in root.findall("a:entry", ns):
            doc = (entry.findtext("a:id", "", ns) or "").rstrip("/").rsplit("/", 1)[-1]
            title = " ".join((entry.findtext("a:title", "", ns) or "").replace("\u00a0", " ")
                             .split())
            paras = _html_paragraphs(entry.findtext("a:content", "", ns) or "")
            docs[doc] = [(title, None)] + [(p, None) for p in paras]
    return docs


def load_documents(source: str, path: Path) -> dict[str, list[tuple[str, str | None]]]:
    """doc id -> its blocks (text, turn) for one source."""
    if source == "whitehouse":
        return {str(p.relative_to(path)): _wh_blocks(p) for p in sorted(path.rglob("*.md"))}
    if source == "kremlin":
        return _kremlin_docs(path)
    return _feed_docs(path)


def available(paths: dict[str, Path]) -> dict[str, Path]:
    return {s: p for s, p in paths.items() if p.exists()}


# ---- blocks -> sentences -------------------------------------------------------------------

def split_blocks(blocks: list[tuple[str, str | None]], source: str) -> list[list[dict]]:
    """Sentences of each block: {"sent", "text", "hash", "turn"}; a Kremlin turn label that
    opens a sentence is cut from it and sets the turn for what follows in the block."""
    from detector.nlp.sentences import split_sentences

    out = []
    for (_, turn0), sents in zip(blocks, split_sentences([b for b, _ in blocks])):
        turn = turn0
        rows = []
        for i, s in enumerate(sents):
            s = normalise(s)
            if source != "whitehouse":
                m = _KR_TURN_RE.match(s)
                if m and len(m.group(1).split()) <= 6:
                    turn = m.group(1)
                    s = s[m.end():].strip()
            rows.append({"sent": i, "text": s, "hash": text_hash(s), "turn": turn})
        out.append(rows)
    return out


# ---- candidate selection (patterns choose what gets read; they never label) ----------------

_TALK = (r"talks|negotiat\w*|ceasefire|cease-fire|truce|peace\w*|settlement|settle|diplomac\w*|"
         r"diplomatic|dialogue|end (the|this) war|end to (the|this) war|de-?escalat\w*|"
         r"armistice|memorandum|Istanbul|delegation\w*|agreement|compromise\w*|prisoner")
_TALK_RE = re.compile(rf"\b({_TALK})\b", re.IGNORECASE)
_PARTY_RE = re.compile(
    r"\b(Russia\w*|Moscow|Kremlin|Putin|Lavrov|Peskov|Medinsky|Ukrain\w*|Kyiv|Kiev|Zelensk\w*|"
    r"Donbas+|NATO|we|our|us)\b", re.IGNORECASE)
_OTHER_RE = re.compile(
    r"\b(Gaza|Israel\w*|Hamas|Hezbollah|Lebanon|Iran\w*|China|Chinese|Taiwan|Korea\w*|Armenia\w*|"
    r"Azerbaijan\w*|Karabakh|Sudan\w*|Syria\w*|Afghan\w*|Venezuela\w*|START|strategic stability|"
    r"arms control|SCO|Shanghai|BRICS|EAEU|Eurasian|CSTO|Transnistria|Moldova|Kazakhstan|"
    r"Belarus\w*|Serbia|Kosovo|Libya|Yemen|Houthi\w*|India\w*|Pakistan|Congo|Rwanda|Ethiopia|"
    r"Iraq|Georgia|trade|tariff\w*|flights?|aviation|climate|Minsk|OSCE|Normandy|security "
    r"guarantees|JCPOA|nuclear)\b")
_THREAT_RE = re.compile(
    r"\b(military means|by force|military force|prepared (for|to)|ready (for|to) (war|fight|"
    r"respond|defend)|retaliat\w*|respond\w*|consequences|red lines?|nuclear|will defend|"
    r"every inch|fight (on|until)|goals of the (special )?(military )?operation|objectives|"
    r"will be achieved|on the battlefield|military-technical|escalat\w*|deter\w*)\b", re.IGNORECASE)
_CONDITION_RE = re.compile(
    r"\b(only if|only when|only after|provided (that)?|on condition|unless|until|as long as|"
    r"precondition\w*|conditions?|if)\b", re.IGNORECASE)
_ACCUSE_RE = re.compile(
    r"\b(not (really )?(want|interested|serious|ready)|doesn'?t want|does not want|refus\w*|"
    r"reject\w*|sabotag\w*|stall\w*|drag\w*|no sign|unwilling\w*|bad faith|derail\w*|"
    r"obstruct\w*|provocation\w*|disrupt\w*|pretext|lies|lying|disinformation|false flag|"
    r"blame\w*|accus\w*)\b", re.IGNORECASE)
_THIRD_RE = re.compile(
    r"\b(mediat\w*|facilitat\w*|host\w*|Turkey|Türkiye|Erdogan|Erdoğan|Bennett|Israel|Vatican|"
    r"Pope|Macron|Scholz|France|Germany|China|Xi|India|Modi|Saudi|Qatar|UAE|Emirates|Hungary|"
    r"Orban|UN|United Nations|Guterres|Lukashenko|Belarus\w*|Witkoff|Kushner)\b")

POOLS = ("threat", "condition", "accusation", "other_topic", "third_party", "talks",
         "talks_other", "plain")
# Sentences per source and pool: about 45% Kremlin, 55% White House; plain is the keyword-free
# share. A pool that runs short passes its remainder to "talks".
QUOTAS = {
    "kremlin": {"threat": 90, "condition": 70, "accusation": 90, "other_topic": 130,
                "third_party": 60, "talks": 260, "talks_other": 40, "plain": 230},
    "kremlin_feed": {"talks": 4, "other_topic": 4, "plain": 4},
    "whitehouse": {"threat": 100, "condition": 60, "accusation": 100, "other_topic": 170,
                   "third_party": 90, "talks": 320, "talks_other": 60, "plain": 310},
}
_PER_DOC = {"whitehouse": 4, "kremlin": 10, "kremlin_feed": 3}  # per document and pool
_MIN_WORDS, _MAX_WORDS = 5, 70
_PLAIN_BLOCKS = 40  # every n-th keyword-free block (by hash) is split for the plain pool


def pool_of(text: str) -> str:
    """The pool a sentence is drawn from: the first pattern that matches."""
    talk = bool(_TALK_RE.search(text))
    if _THREAT_RE.search(text) and (talk or _PARTY_RE.search(text)):
        return "threat"
    if talk and _CONDITION_RE.search(text):
        return "condition"
    if _ACCUSE_RE.search(text) and _PARTY_RE.search(text):
        return "accusation"
    if talk and _OTHER_RE.search(text):
        return "other_topic"
    if talk and _THIRD_RE.search(text):
        return "third_party"
    if talk:
        return "talks" if _PARTY_RE.search(text) else "talks_other"
    return "plain"


# Stage 2: stage 1 (above) proved thin on the war itself (most talk words in these sources are
# about other diplomacy), so a second seeded draw, from what stage 1 did not take, takes
# sentences that name the war (Ukraine, Kiev, Donbass, the special military operation, the
# Istanbul talks) next to a talk word or a readiness / rejection / goals cue.
_WAR_RE = re.compile(
    r"\b(Ukrain\w*|Kyiv|Kiev|Donbas+|Donetsk|Lugansk|Luhansk|Crimea|Zelensk\w*|"
    r"special military operation|Istanbul|Medinsky|Minsk agreements?)\b")
_CUE_RE = re.compile(
    r"\b(ready|readiness|prepared|willing\w*|want\w*|hope\w*|propos\w*|agree\w*|continu\w*|"
    r"resum\w*|reject\w*|refus\w*|unacceptable|goals?|objectives|until|only|will not|won'?t|"
    r"no alternative|commit\w*|end\w*|stop\w*|demand\w*|guarantee\w*)\b", re.IGNORECASE)
STAGE2 = {"kremlin": 330, "whitehouse": 400}


# Stage 3: own stance (see the module docstring). Matched per sentence; the first matching
# sub-pool in STAGE3_POOLS takes it.
_UKR_TURN_RE = re.compile(r"ZELENS|YERMAK|KULEBA|SHMYHAL|REZNIKOV|UMEROV|PODOLYAK|SYBIHA|"
                          r"MARKAROVA|STEFANISHYNA|ARAKHAMIA|UKRAIN")
_FIRST_RE = re.compile(r"\b(we|our|us|I|my|me)\b", re.IGNORECASE)
_OWN_REFUSE_RE = re.compile(
    r"\b(no (talks|negotiations|ceasefire|truce|peace)\b.{0,40}\b(until|unless|without)|"
    r"(will|would|can) ?not (negotiate|talk|sit|accept|agree|sign|stop|give up|compromise)|"
    r"won'?t (negotiate|talk|sit|accept|agree|sign|stop|give up|compromise)|"
    r"(pointless|useless|no point|no sense|meaningless)|refus\w*|not (yet )?ready|"
    r"unacceptable|reject\w*|no alternative|dead end|stalled|impasse|broke (off|down)|"
    r"suspend\w* (the )?(talks|negotiations|contacts))", re.IGNORECASE)
_OWN_GOALS_RE = re.compile(
    r"\b((goals?|objectives|tasks) (of|set)\b.{0,60}\b(achieved|attained|fulfilled|accomplished|"
    r"unchanged|reached)|military means|by (military )?force|(fight|continue|go on)\w* "
    r"(until|to the end)|until (the )?(end|victory|all)|demilitari[sz]\w*|denazi\w*|"
    r"root causes)", re.IGNORECASE)
_OWN_READY_RE = re.compile(
    r"\b((ready|prepared|open|willing|readiness|willingness|wish|want|desire|intend|hope)\w*"
    r"\b.{0,40}\b(negotiat\w*|talks?|dialogue|ceasefire|cease-fire|truce|meet\w*|contacts?|"
    r"diplomac\w*|settlement|compromise\w*|peace\w*|agreement|end (the|this) war))",
    re.IGNORECASE)
_OWN_COMMIT_RE = re.compile(
    r"\b((seek|pursu|commit|remain|continu|prefer|choose|chose|path|door|window|avenue|"
    r"off-?ramp)\w*\b.{0,40}\b(diplomac\w*|diplomatic|negotiat\w*|talks|dialogue|peaceful|"
    r"settlement|de-?escalat\w*)|diplomatic (solution|path|resolution|settlement|track|route)|"
    r"negotiated (settlement|solution|peace))", re.IGNORECASE)
_OWN_RUS_RE = re.compile(
    r"\b(Russia\w*|Moscow|Kremlin|Putin|Ukrain\w*|Kyiv|Kiev|Zelensk\w*|Donbas+|"
    r"United States|America\w*|Washington|Biden|Trump|NATO|Europe\w*|West\w*)\b")
STAGE3_POOLS = ("own_ukr", "own_refuse", "own_goals", "own_ready", "own_commit")
STAGE3 = {
    "kremlin": {"own_refuse": 130, "own_goals": 90, "own_ready": 190, "own_commit": 90},
    "whitehouse": {"own_ukr": 110, "own_refuse": 90, "own_goals": 30, "own_ready": 130,
                   "own_commit": 140},
}


def own_pool(text: str, turn: str | None, source: str) -> str | None:
    """The stage-3 sub-pool of a sentence, or None. A Ukrainian turn in a White House
    transcript takes any sentence with a talk word or a stance cue."""
    if turn in ("Q", "Question"):
        return None
    if not (_FIRST_RE.search(text) or _OWN_RUS_RE.search(text) or _WAR_RE.search(text)):
        return None
    if source == "whitehouse" and turn and _UKR_TURN_RE.search(turn.upper()) and (
            _TALK_RE.search(text) or _CUE_RE.search(text)):
        return "own_ukr"
    for name, rx in (("own_refuse", _OWN_REFUSE_RE), ("own_goals", _OWN_GOALS_RE),
                     ("own_ready", _OWN_READY_RE), ("own_commit", _OWN_COMMIT_RE)):
        if rx.search(text):
            if name in ("own_refuse", "own_goals") and not (
                    _TALK_RE.search(text) or _WAR_RE.search(text) or _FIRST_RE.search(text)):
                continue  # "refuse" / "until" with neither talks, the war nor a "we"
            return name
    return None


def war_talk(text: str) -> bool:
    return bool(_WAR_RE.search(text) and (_TALK_RE.search(text) or _CUE_RE.search(text)))


def _interesting(block: str) -> bool:
    return bool(_TALK_RE.search(block) or _THREAT_RE.search(block) or _ACCUSE_RE.search(block))


def candidates(paths: dict[str, Path], seed: int = SEED,
               quotas: dict[str, dict[str, int]] = QUOTAS,
               stage3: dict[str, dict[str, int]] = STAGE3) -> list[dict]:
    """The seeded selection: stage 1 in a seeded shuffled order, then stage 2 in another, then
    stage 3 in a third (the order of annotation; a prefix of each stage is labelled). Stages
    1-2 do not depend on ``stage3``; ``stage3={}`` gives them alone."""
    items: list[dict] = []
    stage2: list[dict] = []
    war_pools: list[tuple[str, list[dict]]] = []
    own_pools: list[tuple[str, dict[str, list[dict]]]] = []
    seen: set[str] = set()
    for source, path in available(paths).items():
        docs = load_documents(source, path)
        pools: dict[str, list[dict]] = {p: [] for p in POOLS}
        war: list[dict] = []
        own: dict[str, list[dict]] = {p: [] for p in STAGE3_POOLS}
        for doc, blocks in docs.items():
            keep = [i for i, (b, turn) in enumerate(blocks) if turn != "Q" and b and (
                _interesting(b) or int(text_hash(f"{doc}:{i}")[:8], 16) % _PLAIN_BLOCKS == 0)]
            if not keep:
                continue
            split = split_blocks([blocks[i] for i in keep], source)
            for i, rows in zip(keep, split):
                for r in rows:
                    words = len(re.findall(r"[A-Za-z]{2,}", r["text"]))
                    if not _MIN_WORDS <= words <= _MAX_WORDS or r["turn"] in ("Q", "Question"):
                        continue
                    row = {"source": source, "doc": doc, "block": i, **r}
                    pools[pool_of(r["text"])].append(row)
                    if war_talk(r["text"]):
                        war.append(row)
                    sub = own_pool(r["text"], r["turn"], source)
                    if sub:
                        own[sub].append(row)
        quota = dict(quotas.get(source, {}))
        for name in POOLS:
            rng = random.Random(f"{seed}:{source}:{name}")
            pool = sorted(pools[name], key=lambda r: r["hash"])
            rng.shuffle(pool)
            per_doc: Counter = Counter()
            taken = 0
            for r in pool:
                if taken >= quota.get(name, 0):
                    break
                key = _loose(r["text"])
                if key in seen or per_doc[r["doc"]] >= _PER_DOC[source]:
                    continue
                seen.add(key)
                per_doc[r["doc"]] += 1
                items.append({**r, "pool": name})
                taken += 1
            if name != "talks" and taken < quota.get(name, 0):
                quota["talks"] = quota.get("talks", 0) + quota[name] - taken
        war_pools.append((source, war))
        own_pools.append((source, own))
    items.sort(key=lambda r: r["hash"])
    random.Random(f"{seed}:order").shuffle(items)
    for source, war in war_pools:  # after stage 1 of every source: `seen` is complete
        rng = random.Random(f"{seed}:{source}:war")
        pool = sorted(war, key=lambda r: r["hash"])
        rng.shuffle(pool)
        per_doc = Counter()
        for r in pool:
            if sum(x["source"] == source for x in stage2) >= STAGE2.get(source, 0):
                break
            key = _loose(r["text"])
            if key in seen or per_doc[r["doc"]] >= 2 * _PER_DOC[source]:
                continue
            seen.add(key)
            per_doc[r["doc"]] += 1
            stage2.append({**r, "pool": "war_" + pool_of(r["text"])})
    stage2.sort(key=lambda r: r["hash"])
    random.Random(f"{seed}:order2").shuffle(stage2)
    return items + stage2 + _stage3(own_pools, seen, seed, stage3)


def _stage3(own_pools: list[tuple[str, dict[str, list[dict]]]], seen: set[str], seed: int,
            quotas: dict[str, dict[str, int]]) -> list[dict]:
    """Stage 3 (own stance), from what stages 1-2 left (``seen`` holds their texts)."""
    out: list[dict] = []
    for source, own in own_pools:
        per_doc: Counter = Counter()
        for name in STAGE3_POOLS:
            rng = random.Random(f"{seed}:{source}:{name}")
            pool = sorted(own[name], key=lambda r: r["hash"])
            rng.shuffle(pool)
            taken = 0
            for r in pool:
                if taken >= quotas.get(source, {}).get(name, 0):
                    break
                key = _loose(r["text"])
                if key in seen or per_doc[r["doc"]] >= 2 * _PER_DOC[source]:
                    continue
                seen.add(key)
                per_doc[r["doc"]] += 1
                out.append({**r, "pool": name})
                taken += 1
    out.sort(key=lambda r: r["hash"])
    random.Random(f"{seed}:order3").shuffle(out)
    return out


# ---- labels -> training file ---------------------------------------------------------------

def load_labels(path: Path = LABELS_PATH) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"labels file {path} is missing; it ships in models/data/")
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{n}: not JSON ({exc.msg}); fix that line") from exc
    return rows


def resolve(labels: list[dict], paths: dict[str, Path]) -> tuple[list[dict], list[dict]]:
    """(training records with their text, labels whose text was not found). Only the blocks
    that carry labels are split."""
    found, missing = [], []
    avail = available(paths)
    by_source: dict[str, list[dict]] = {}
    for lab in labels:
        by_source.setdefault(lab["source"], []).append(lab)
    for source, labs in by_source.items():
        if source not in avail:
            missing.extend(labs)
            continue
        docs = load_documents(source, avail[source])
        wanted = sorted({(lab["doc"], lab["block"]) for lab in labs if lab["doc"] in docs
                         and lab["block"] < len(docs[lab["doc"]])})
        split = split_blocks([docs[d][b] for d, b in wanted], source)
        sents = {key: rows for key, rows in zip(wanted, split)}
        meta = SOURCES[source]
        for lab in labs:
            rows = sents.get((lab["doc"], lab["block"]), [])
            row = next((r for r in rows if r["sent"] == lab["sent"] and r["hash"] == lab["hash"]),
                       None) or next((r for r in rows if r["hash"] == lab["hash"]), None)
            if row is None:
                missing.append(lab)
                continue
            found.append({"text": row["text"], "stance": lab["stance"], "speaker": lab["speaker"],
                          "kind": lab["kind"], "source": source, "doc": lab["doc"],
                          "block": lab["block"], "sent": row["sent"], "turn": row["turn"],
                          "default_speaker": meta["default_speaker"],
                          "licence": meta["licence"], "attribution": meta["attribution"],
                          "hash": lab["hash"]})
    return found, missing


def _counts(rows: list[dict], field: str) -> str:
    return ", ".join(f"{k} {v}" for k, v in Counter(str(r.get(field)) for r in rows).most_common())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--open", default=str(OPEN_DIR), help="the open-data folder")
    ap.add_argument("--real", default=str(REAL_DIR),
                    help="the real-data folder (only the two Kremlin files are read)")
    ap.add_argument("--labels", default=str(LABELS_PATH))
    ap.add_argument("--build", metavar="OUT.jsonl",
                    help="write the labelled sentences with their text (keep it outside the repo)")
    ap.add_argument("--candidates", metavar="OUT.jsonl",
                    help="write the annotation candidates with their text (outside the repo)")
    args = ap.parse_args(argv)
    paths = source_paths(Path(args.open), Path(args.real))
    avail = available(paths)
    if not avail:
        print(f"open sources absent ({', '.join(str(p) for p in paths.values())}); nothing to do")
        return 0
    for source in paths.keys() - avail.keys():
        print(f"skipping {source}: {paths[source]} is absent")
    if args.candidates:
        items = candidates(paths)
        with open(args.candidates, "w", encoding="utf-8") as f:
            f.writelines(
                json.dumps({"i": i, **it}, ensure_ascii=False) + "\n" for i, it in enumerate(items)
            )
        print(f"wrote {len(items)} candidates to {args.candidates} "
              f"(by source: {_counts(items, 'source')}; by pool: {_counts(items, 'pool')})")
        return 0
    labels = [lab for lab in load_labels(args.labels) if lab["source"] in avail]
    found, missing = resolve(labels, paths)
    print(f"labels: {len(found)} resolved to a text, {len(missing)} not found")
    for field in ("stance", "source", "kind"):
        print(f"  {field}: {_counts(found, field)}")
    for lab in missing[:20]:
        print(f"  not found: {lab['source']} {lab['doc']} {lab['block']}:{lab['sent']}")
    if args.build:
        with open(args.build, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in found)
        print(f"wrote {args.build}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
