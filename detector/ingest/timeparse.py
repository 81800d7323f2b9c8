"""Defensive date-time parsing shared by the adapters."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d.%m.%Y %H:%M", "%d.%m.%Y",
            "%Y/%m/%d", "%d/%m/%Y", "%d/%m/%Y %H:%M:%S", "%d %B %Y")


def parse_datetime(value: object, local_tz: str = "UTC") -> datetime | None:
    """Parse a date or date-time string; naive values are taken in ``local_tz``; result in UTC."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or text.lower() in ("nan", "none", "null", "nat"):
        return None
    dt: datetime | None = None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _FORMATS:
            try:
                dt = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(local_tz))
    return dt.astimezone(timezone.utc)
