"""Dates and timestamps as providers send them, normalised (pure, total, idempotent).

`partial_date` keeps how precise a date was: Proxycurl's ``{day, month, year}`` with nulls,
PDL's ``YYYY`` / ``YYYY-MM`` / ``YYYY-MM-DD``, Clay's ``YYYY-MM-01`` (precision unknown).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

from schemas.records import PartialDate, Precision

_OPEN_END_WORDS = frozenset({"present", "current", "now", "ongoing", "today"})
_OPEN_END_TEXT = _OPEN_END_WORDS | {""}
_ISO_DATE = re.compile(
    r"([0-9]{4})(?:[-/.]([0-9]{1,2})(?:[-/.]([0-9]{1,2})(?:[T ].*)?)?)?", re.ASCII
)
_MONTH_YEAR = re.compile(r"([a-z]{3,9})\.?,?\s+([0-9]{4})", re.ASCII)
_MONTHS = (
    "january february march april may june july august september october november december"
).split()

#: Free-mail providers whose domain says nothing about the sender's employer.


def _make_date(year: int, month: int, day: int, precision: Precision) -> PartialDate | None:
    """Build a PartialDate, or None when the parts are not a real calendar date."""
    try:
        return PartialDate(value=date(year, month, day), precision=precision)
    except (ValueError, OverflowError):
        return None


def _date_part(value: object) -> int | None:
    """Read one day/month/year part given as an int, an integral float or a digit string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    return None


def _date_from_parts(parts: Mapping[str, object]) -> PartialDate | None:
    """Read a Proxycurl ``{day, month, year}`` date; a null month or day lowers the precision."""
    year, month, day = (_date_part(parts.get(key)) for key in ("year", "month", "day"))
    if year is None:
        return None
    if month is None:
        return _make_date(year, 1, 1, "year")
    if day is None:
        return _make_date(year, month, 1, "month")
    return _make_date(year, month, day, "day")


def _date_from_text(text: str, *, clay: bool) -> PartialDate | None:
    """Read ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD[T…]`` or ``Mon YYYY``."""
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        return _date_from_month_name(text.lower())
    year, month, day = match.groups()
    if month is None:
        return _make_date(int(year), 1, 1, "year")
    if day is None:
        return _make_date(int(year), int(month), 1, "month")
    # Clay pads every date to the 1st, so a Clay day of 1 tells nothing about precision.
    precision: Precision = "unknown" if clay and int(day) == 1 else "day"
    return _make_date(int(year), int(month), int(day), precision)


def _date_from_month_name(text: str) -> PartialDate | None:
    """Read LinkedIn display dates such as ``Sep 2023`` or ``September 2023``."""
    match = _MONTH_YEAR.fullmatch(text)
    if match is None:
        return None
    name, year = match.groups()
    months = [i for i, full in enumerate(_MONTHS, start=1) if full.startswith(name)]
    return _make_date(int(year), months[0], 1, "month") if months else None


def partial_date(value: object, *, clay: bool = False) -> PartialDate | None:
    """Parse a provider date into a PartialDate; open ends ("Present", null) give None.

    ``clay=True`` marks Clay's ``YYYY-MM-01`` dates as precision ``unknown``.
    """
    if isinstance(value, PartialDate):
        return value
    if isinstance(value, Mapping):
        return _date_from_parts(value)
    if isinstance(value, date):
        return _make_date(value.year, value.month, value.day, "day")
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return _make_date(value, 1, 1, "year")
    if not isinstance(value, str) or value.strip().lower() in _OPEN_END_WORDS:
        return None
    return _date_from_text(value.strip(), clay=clay)


def _month_end(value: date) -> bool:
    """Whether a date is the last day of its month."""
    return value.day == calendar.monthrange(value.year, value.month)[1]


def pads_days(starts: Iterable[PartialDate | None], ends: Iterable[PartialDate | None]) -> bool:
    """Whether a payload's day fields are padding, not days: the evidence is the payload itself.

    Providers that only know a month write the 1st for a start and the 1st or the last day of
    the month for an end (Proxycurl ``{day: 1}`` … ``{day: 31}``, a year-only school as
    1 January – 31 December). When every day-precision date of one payload fits that pattern
    (and there is at least one), its days carry no information. One real day (a start on the
    14th, an end on the 20th) shows the provider knows days, and then every date keeps them.
    """
    started = [d.value for d in starts if d is not None and d.precision == "day"]
    ended = [d.value for d in ends if d is not None and d.precision == "day"]
    if not started and not ended:
        return False
    return all(v.day == 1 for v in started) and all(v.day == 1 or _month_end(v) for v in ended)


def unpadded(value: PartialDate | None, *, year_only: bool = False) -> PartialDate | None:
    """A padded day-precision date as the month (or, with `year_only`, the year) it stands for.

    Stored like any month-only date: the 1st of the month, precision ``month``, so
    ``2023-08-31`` becomes ``2023-08-01``. Dates of other precisions are returned unchanged.
    """
    if value is None or value.precision != "day":
        return value
    if year_only:
        return PartialDate(value=value.value.replace(month=1, day=1), precision="year")
    return PartialDate(value=value.value.replace(day=1), precision="month")


def is_year_span(start: PartialDate | None, end: PartialDate | None) -> bool:
    """Whether padded dates span whole years: start on 1 January, end on 31 December or 1 January.

    LinkedIn schools are dated by year; a provider that pads writes them 1 Jan – 31 Dec
    (Proxycurl), or 1 Jan – 1 Jan when it pads ends to the 1st as well.
    """
    starts_jan = start is None or (start.value.month, start.value.day) == (1, 1)
    ends_dec = end is None or (end.value.month, end.value.day) in ((12, 31), (1, 1))
    dated = [d for d in (start, end) if d is not None and d.precision == "day"]
    return bool(dated) and starts_jan and ends_dec


def is_open_end(value: object) -> bool:
    """Whether a raw end date means "still there": null, blank, "Present" or a yearless dict."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip().lower() in _OPEN_END_TEXT
    return isinstance(value, Mapping) and value.get("year") is None


def timestamp(value: object) -> datetime | None:
    """Parse a provider refresh time (ISO in many spellings, RFC 2822, epoch s/ms) as UTC."""
    if isinstance(value, datetime):
        return _as_utc(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", text):
        return _from_epoch(float(text))
    try:
        return timestamp(datetime.fromisoformat(re.sub(r"\s*(?:UTC|GMT)$", "Z", text)))
    except ValueError:
        pass
    try:
        return timestamp(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _as_utc(moment: datetime) -> datetime | None:
    """Read a naive datetime as UTC and convert an aware one to UTC."""
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _from_epoch(number: float) -> datetime | None:
    """Read epoch seconds, or milliseconds when the number is too large to be seconds."""
    try:
        seconds = float(number)
        return datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None
