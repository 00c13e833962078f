"""Dates of the tests, moved next to today: no test may depend on the day it runs.

The ledger refuses journals dated more than a year before or after the tenant's current
business date (DX029, ``effective_date_days_back``/``_ahead``), so a test that posts,
closes, reconciles or sets rates on a fixed calendar date would start failing a year after
it was written. The tests are written as if today were ``NOMINAL_TODAY``; every fixed date
goes through this module, which shifts it by the whole number of days between that nominal
today and the real one (UTC, the business date of a tenant with the default settings):
distances to today, to each other, to closes and to the window stay exactly as written.

``iso("2026-03-15")`` → the shifted date as text, ``day("2026-03-15")`` → as a date,
``shifted(text)`` → text with every valid YYYY-MM-DD in it shifted (statement files,
expected CLI output, report names and error messages). Invalid dates (``2026-02-30``) stay.
pgTAP has the same helper (``tap.day``, ``tap.dates`` in pgtap/helpers/fixtures.sql);
tests/test_fixed_dates.py fails when a test writes a fixed date outside them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

NOMINAL_TODAY = date(2026, 12, 4)
# Taken once per process: the dates of one test run stay consistent with each other.
SHIFT: timedelta = datetime.now(UTC).date() - NOMINAL_TODAY

_ISO = re.compile(r"(?<![0-9])([0-9]{4})-([0-9]{2})-([0-9]{2})(?![0-9])")


def day(nominal: str) -> date:
    """The nominal date (YYYY-MM-DD, written as if today were NOMINAL_TODAY), moved to now."""
    return date.fromisoformat(nominal) + SHIFT


def iso(nominal: str) -> str:
    """``day(nominal)`` as YYYY-MM-DD."""
    return day(nominal).isoformat()


def _shift_match(match: re.Match[str]) -> str:
    try:
        return iso(match.group(0))
    except ValueError:  # not a calendar date (2026-02-30): stays as written
        return match.group(0)


def shifted(text: str) -> str:
    """The text with every valid YYYY-MM-DD in it moved like ``day``."""
    return _ISO.sub(_shift_match, text)
