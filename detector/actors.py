"""Actor codes: people, titles, institutions and places -> actor codes (data/actors.tsv, over
the world's states, demonyms and capitals in data/countries.tsv).

Low in the import graph (it imports nothing from the project): ingest maps dataset actor names
with ``actor_code``, the NLP attribution finds actors in sentences with the same ``Gazetteer``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

# When a phrase names several actors, the one doing the speaking or acting is usually the most
# specific: a person or institution before a state, a state before a demonym or a place.
_KIND_RANK = {
    "person": 0,
    "institution": 1,
    "force": 1,
    "state": 2,
    "capital": 3,
    "demonym": 4,
    "place": 5,
    "weapon": 6,
}


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    alias: str
    code: str
    kind: str


class Gazetteer:
    def __init__(self, entries: list[tuple[str, str, str]]):
        self.entries = {alias.lower(): (code, kind) for alias, code, kind in entries}
        aliases = sorted(self.entries, key=len, reverse=True)
        self._pattern = re.compile(
            r"(?<![\w-])(" + "|".join(re.escape(a) for a in aliases) + r")(?:'s|’s)?(?![\w-])",
            re.IGNORECASE,
        )

    @classmethod
    def from_file(cls, *paths: str | Path) -> Gazetteer:
        """From one or more alias files; on a repeated alias the later file wins."""
        entries = []
        for path in paths:
            for line in Path(path).read_text(encoding="utf-8").splitlines():
                if not line.strip() or line.startswith("#"):
                    continue
                alias, code, kind = (line.split("\t") + ["", ""])[:3]
                entries.append((alias.strip(), code.strip(), kind.strip() or "state"))
        return cls(entries)

    def mentions(self, text: str, fold_case: bool = False) -> list[Mention]:
        """Gazetteer names in ``text``. ``fold_case``: the text carries no case (a post written
        all in lower case), so single-word names count in lower case too."""
        out = []
        for m in self._pattern.finditer(text):
            alias = m.group(1)
            code, kind = self.entries[alias.lower()]
            # Lower-case matches only count for multi-word aliases ("the kremlin"), never for
            # common words that happen to be names (e.g. "costa", "vance").
            if alias[:1].islower() and " " not in alias and not fold_case:
                continue
            out.append(Mention(m.start(1), m.end(1), alias, code, kind))
        return out

    def lookup(
        self, phrase: str, kinds: tuple[str, ...] | None = None, fold_case: bool = False
    ) -> str | None:
        """The actor a short phrase (a subject, a headline suffix) names, or None."""
        found = [m for m in self.mentions(phrase, fold_case) if kinds is None or m.kind in kinds]
        if not found:
            return None
        found.sort(key=lambda m: (_KIND_RANK.get(m.kind, 9), m.start))
        return found[0].code


def data_file(name: str) -> Path:
    """A file of the package's data folder (gazetteers, adversaries)."""
    return Path(str(resources.files("detector") / "data" / name))


def actor_gazetteer() -> Gazetteer:
    """The world's states, demonyms and capitals first; the project's actors (people,
    institutions, and the spellings it prefers) override them."""
    return Gazetteer.from_file(data_file("countries.tsv"), data_file("actors.tsv"))


def strike_gazetteer() -> Gazetteer:
    """The actor gazetteer with the strike-only names after it (forces, units, weapons)."""
    return Gazetteer.from_file(
        data_file("countries.tsv"), data_file("actors.tsv"), data_file("strike_actors.tsv")
    )


@lru_cache(maxsize=4)
def load_gazetteer(path: str | None = None) -> Gazetteer:
    """The actor gazetteer (or the one in ``path``), built once for ``actor_code``, which the
    ingest parsers call once per row. The NLP parts take theirs from the Annotator."""
    return Gazetteer.from_file(path) if path else actor_gazetteer()


def actor_code(name: str | None, default: str | None = None) -> str | None:
    """The actor code a dataset's actor name gives ("Military Forces of Russia (2000-)" -> RUS),
    else ``default``."""
    name = (name or "").strip()
    return (load_gazetteer().lookup(name) if name else None) or default
