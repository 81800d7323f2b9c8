"""Text and JSON that the detector writes out, made safe whatever a source put in it.

Feed-sourced strings reach the user's terminal (``detector show``, ``flags``, ``commitments
list``) and JSON readers (``export --format json``, the API). ``printable`` removes what a
terminal would act on (escape sequences, carriage returns, other control characters);
``strict`` turns numbers that JSON cannot hold (NaN, +-Infinity) into null, so every JSON we
write passes a strict parser (``json.dumps(..., allow_nan=False)``).
"""

from __future__ import annotations

import math
import re

# C0 and C1 controls and DEL (ESC starts terminal sequences; CR rewrites the line), the bidi
# overrides and isolates (they reorder what is shown), and the lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_ESCAPE_SEQ = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|.)")


def printable(value: object, *, newlines: bool = False) -> str:
    """``value`` as text fit for a terminal: escape sequences and control characters removed;
    line breaks become spaces unless ``newlines`` (tabs stay)."""
    text = str(value)
    text = _ESCAPE_SEQ.sub("", text)
    if not newlines:
        text = text.replace("\r\n", " ").replace("\n", " ")
    return _CONTROL.sub("", text)


def strict(value):
    """A JSON-ready copy of ``value`` where a non-finite float (NaN, inf) is None, at any
    depth of dicts, lists and tuples."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    return value
