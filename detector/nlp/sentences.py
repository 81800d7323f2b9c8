"""Splitting documents into sentences (spaCy's statistical sentence splitter)."""

from __future__ import annotations

import re

from .spacy_models import SpacyPipelines

# Emoji, bullets and dashes that open Telegram posts ("📌 Zakharova: ...", "• Russia ready ...",
# "⚡️ at night, ..."): not part of the sentence's own words.
LEAD_RE = re.compile(r"^[^\w\"“‘'(]+")

_MAX_CHARS = 1000  # very long "sentences" (lists, tables) are cut so the encoder sees them whole
# A paragraph longer than this (a table or a dump without line breaks) goes to spaCy in blocks
# cut at whitespace: spaCy refuses texts over its max_length (E088) and its memory grows with
# the text; sentences never span a block this long anyway.
MAX_PARAGRAPH = 100_000


def _blocks(para: str, size: int = MAX_PARAGRAPH) -> list[str]:
    out = []
    while len(para) > size:
        cut = para.rfind(" ", size // 2, size)
        cut = cut if cut > 0 else size
        out.append(para[:cut].strip())
        para = para[cut:].strip()
    return out + ([para] if para else [])


def split_sentences(texts: list[str], spacy: SpacyPipelines | None = None) -> list[list[str]]:
    """Sentences of each text; paragraph breaks are always sentence breaks. ``spacy``: the
    loaded pipelines to use (an Annotator passes its own; alone, a new load)."""
    spacy = spacy or SpacyPipelines()
    paragraphs: list[str] = []
    owners: list[int] = []
    for i, text in enumerate(texts):
        for para in re.split(r"\n\s*", text or ""):
            for block in _blocks(para.strip()):
                paragraphs.append(block)
                owners.append(i)
    # A repeated paragraph (reposts, wire headlines) is split once.
    unique = list(dict.fromkeys(paragraphs))
    pieces = dict(zip(unique, map(_sentences, spacy.split(unique, batch_size=256))))
    out: list[list[str]] = [[] for _ in texts]
    for owner, para in zip(owners, paragraphs):
        out[owner] += pieces[para]
    return out


def _sentences(doc) -> list[str]:
    out = []
    for sent in doc.sents:
        s = sent.text.strip()
        while len(s) > _MAX_CHARS:
            cut = s.rfind(" ", 0, _MAX_CHARS)
            cut = cut if cut > 0 else _MAX_CHARS
            out.append(s[:cut].strip())
            s = s[cut:].strip()
        if s:
            out.append(s)
    return out
