"""Defensive date-time parsing shared by the adapters."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from .validate import DATE_MAX, DATE_MIN, RowError

_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d %B %Y",
)


def parse_datetime(value: object, local_tz: str = "UTC", what: str = "date") -> datetime | None:
    """Parse a date or date-time string; naive values are taken in ``local_tz``; result in UTC.

    None when ``value`` is empty or not a date; RowError (named ``what``) when it is a date
    outside ``validate.DATE_MIN .. DATE_MAX``, including the calendar's ends, where the
    conversion to UTC would overflow."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or text.lower() in ("nan", "none", "null", "nat") or len(text) > 100:
        return None  # (no date is longer than 100 characters: a huge cell is not parsed)
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
    try:
        utc = dt.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not (DATE_MIN <= utc <= DATE_MAX):
        raise RowError(
            f"{what} {text[:40]!r} is outside {DATE_MIN:%Y-%m-%d} .. "
            f"{DATE_MAX:%Y-%m-%d} (UTC); fix the row"
        )
    return utc
