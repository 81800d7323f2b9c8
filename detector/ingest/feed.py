"""RSS/Atom feeds via feedparser: one Document per entry, HTML stripped, raw text kept."""

from __future__ import annotations

import calendar
import html
import re
import xml.sax
from datetime import UTC, datetime
from html.parser import HTMLParser

import feedparser

from ..config import SourceConfig
from ..errors import ParseError
from ..records import Document, stable_hash
from .validate import Refusals, RowError, check_date, check_id, check_text


class _TextExtractor(HTMLParser):
    _BLOCK = {"p", "br", "div", "li", "h1", "h2", "h3", "h4", "tr", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def strip_html(markup: str) -> str:
    """Visible text of an HTML fragment, paragraphs kept as line breaks."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text = html.unescape("".join(parser.parts))
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _entry_time(entry) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        st = entry.get(key)
        if st:
            try:
                dt = datetime.fromtimestamp(calendar.timegm(st), tz=UTC)
            except (OverflowError, OSError, ValueError):
                raise RowError(
                    f"{key[:-7]} date {tuple(st)[:3]} is out of range; fix the entry"
                ) from None
            return check_date(dt, key[:-7])
    return None


_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S
)


def _entry_text(entry) -> str:
    contents = entry.get("content") or []
    if contents:
        return strip_html(" \n".join(c.get("value", "") for c in contents))
    return strip_html(entry.get("summary", "") or entry.get("description", ""))


def parse_feed(
    content: bytes, src: SourceConfig, raw_hash: str, refused: list[str] | None = None
) -> list[Document]:
    if _HTML_START.match(content[:4096]):
        raise ParseError(
            src.name,
            f"{src.location} is an HTML page, not a feed; point the url "
            'at the site\'s RSS/Atom feed (its <link rel="alternate">)',
        )
    try:
        parsed = feedparser.parse(content)
    except (ValueError, OverflowError, RecursionError, LookupError) as exc:
        # e.g. a character reference beyond U+10FFFF (&#x110000;)
        raise ParseError(
            src.name,
            f"{src.location} is not a readable RSS/Atom feed "
            f"({exc.__class__.__name__}: {str(exc)[:80]})",
        ) from exc
    # Malformed XML is refused whole: a half-read feed would silently drop entries. Benign
    # complaints (e.g. a declared charset that differs from the real one) are accepted.
    if parsed.bozo and (
        isinstance(parsed.get("bozo_exception"), xml.sax.SAXException) or not parsed.entries
    ):
        reason = getattr(parsed, "bozo_exception", "unknown error")
        raise ParseError(
            src.name,
            f"{src.location} is not a readable RSS/Atom feed ({reason}); "
            "check that the URL or path points to a feed",
        )
    if not parsed.entries and not parsed.get("feed"):
        raise ParseError(src.name, f"{src.location} holds no feed entries; check the URL or path")
    if not parsed.entries and not parsed.get("version"):
        raise ParseError(
            src.name,
            f"{src.location} is not an RSS/Atom feed (no feed element); "
            "point the url at the site's feed",
        )
    refusals = Refusals(src, refused, unit="entry")
    docs: list[Document] = []
    seen: dict[str, tuple[str | None, str, int]] = {}
    for n, entry in enumerate(parsed.entries, start=1):
        try:
            title = strip_html(entry.get("title", "")) or None
            text = check_text(_entry_text(entry) or (title or ""))
            if not text:
                continue
            ext_id = check_id(
                str(entry.get("id") or entry.get("link") or stable_hash(title, text)), "id"
            )
            published = _entry_time(entry)
        except RowError as exc:
            refusals.refuse(n, str(exc))
            continue
        if ext_id in seen:  # one guid, two entries: the first is kept, the second refused
            if seen[ext_id][:2] != (title, text):
                refusals.refuse(
                    n,
                    f"id {ext_id[:80]!r} is also entry {seen[ext_id][2]}'s, "
                    "with other content; the first is kept",
                )
            continue
        seen[ext_id] = (title, text, n)
        docs.append(
            Document(
                source=src.name,
                external_id=ext_id,
                text=text,
                published_at=published,
                url=entry.get("link"),
                title=title,
                speaker=src.speaker,
                location=src.location,
                raw_hash=raw_hash,
            )
        )
    refusals.finish(len(docs))
    return docs
