"""Reading CSV payloads defensively: encoding errors and missing columns become ParseErrors."""

from __future__ import annotations

import csv
import io

from ..config import SourceConfig
from ..errors import ParseError
from .options import TextOptions, options_of


def decode_text(content: bytes, src: SourceConfig) -> str:
    """The payload as text in the source's ``encoding`` (default UTF-8); empty payloads refused."""
    encoding = options_of(src, TextOptions).encoding
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ParseError(
            src.name,
            f"{src.location} is not valid {encoding} (byte {exc.start}); "
            'set encoding = "..." on the source',
        ) from exc
    except LookupError as exc:
        raise ParseError(src.name, f"unknown encoding {encoding!r}; fix encoding = ...") from exc
    if not text.strip():
        raise ParseError(src.name, f"{src.location} is empty; check the file")
    return text


def read_csv_rows(content: bytes, src: SourceConfig, required: list[str]) -> list[dict[str, str]]:
    text = decode_text(content, src)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise ParseError(
                src.name,
                f"{src.location} lacks column(s) {', '.join(missing)} "
                f"(found: {', '.join(header[:12])}); map them in the config",
            )
        return list(reader)
    except csv.Error as exc:
        raise ParseError(src.name, f"{src.location} is not valid CSV ({exc})") from exc
