"""Wall clock of a scenario: absolute epoch seconds <-> its IANA zone, calendar rules.

The engine simulates in whole UTC epoch seconds; calendar rules (months with an anchor day,
N days before a date at a time of day, clock hours, days and months of bill runs) are
evaluated here, in the scenario's zone, so daylight-saving changes are handled in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

_UTC = dt.timezone.utc
_DAY = dt.timedelta(days=1)


def remembered(iso: Callable[[int], str]) -> Callable[[int], str]:
    """`iso` with its results kept, for one batch of work (a run, a file) that repeats few
    distinct instants many times (midnights, clock hours)."""
    texts: dict[int, str] = {}

    def cached(t: int) -> str:
        text = texts.get(t)
        if text is None:
            text = texts[t] = iso(t)
        return text

    return cached


class Clock:
    """Conversions between epoch seconds and one zone's wall clock."""

    def __init__(self, zone: str):
        self.zone_name = zone
        self.zone = ZoneInfo(zone)
        # Calendar results by their inputs: a fleet asks for the same few dates again and
        # again (expiries, alert and retry times), and zone conversions dominate a run.
        self._at: dict[tuple[dt.date, dt.time], int] = {}
        self._months: dict[tuple[dt.date, int, int], dt.date] = {}

    # --- conversions -------------------------------------------------------------------
    def epoch(self, wall: dt.datetime) -> int:
        """Epoch seconds of a wall-clock time (naive = in this zone; aware is converted).

        A wall time that does not exist (spring-forward gap) or occurs twice (fall-back)
        resolves with fold=0, zoneinfo's default: the offset in force before the change.
        """
        if wall.tzinfo is None:
            wall = wall.replace(tzinfo=self.zone)
        return int(wall.timestamp())

    def local(self, t: int) -> dt.datetime:
        """Aware local datetime of epoch seconds."""
        return dt.datetime.fromtimestamp(t, self.zone)

    def iso(self, t: int) -> str:
        """ISO 8601 with the zone offset, e.g. 2023-02-08T15:50:04+08:00."""
        return self.local(t).isoformat()

    def wall(self, t: int) -> str:
        """Human wall-clock text, e.g. 2023-02-08 15:50:04."""
        return self.local(t).strftime("%Y-%m-%d %H:%M:%S")

    def at_time(self, day: dt.date, time: dt.time) -> int:
        """Epoch seconds of a time of day on a local date."""
        key = (day, time)
        t = self._at.get(key)
        if t is None:
            t = self._at[key] = self.epoch(dt.datetime.combine(day, time))
        return t

    def midnight(self, day: dt.date) -> int:
        """Epoch seconds of 00:00:00 on a local date."""
        return self.at_time(day, dt.time(0))

    def date(self, t: int) -> dt.date:
        return self.local(t).date()

    # --- calendar rules ----------------------------------------------------------------
    def add_months(self, day: dt.date, months: int, anchor: int) -> dt.date:
        """`day` plus `months`, landing on `anchor` clamped to the month's length.

        billing-rules §3: bought Jan 31 -> Feb 28/29 -> Mar 31 (relativedelta clamps `day`).
        """
        key = (day, months, anchor)
        date = self._months.get(key)
        if date is None:
            date = self._months[key] = day + relativedelta(months=months, day=anchor)
        return date

    @staticmethod
    def align(day: dt.date, align_day: int | str) -> dt.date:
        """First date on or after `day` whose day-of-month is `align_day` (1..28 or 'last')."""
        if align_day == "last":
            return day + relativedelta(day=31)
        if day.day <= align_day:
            return day.replace(day=align_day)
        return day + relativedelta(months=1, day=align_day)

    def expiry_instant(self, expiry_date: dt.date) -> int:
        """A period valid through 23:59:59 of its expiry date ends at the next local midnight."""
        return self.midnight(expiry_date + _DAY)

    def add_days(self, t: int, days: int) -> int:
        """Same wall-clock time `days` calendar days later (billing-rules §7.11)."""
        wall = self.local(t).replace(tzinfo=None) + dt.timedelta(days=days)
        return self.epoch(wall)

    def next_daily(self, after: int, time: dt.time) -> int:
        """The first instant strictly after `after` at which the local clock reads `time`."""
        day = self.date(after)
        for _ in range(3):
            t = self.at_time(day, time)
            if t > after:
                return t
            day += _DAY
        raise AssertionError("unreachable: a day always has the time")

    # --- clock hours and bill-run periods ---------------------------------------------
    def hour_start(self, t: int) -> int:
        """Start of the local clock hour holding t (billing cycle, billing-rules §4)."""
        offset = int(self.local(t).utcoffset().total_seconds())
        return t - (t + offset) % 3600

    def day_start(self, t: int) -> int:
        """Local midnight starting the calendar day holding t."""
        return self.midnight(self.date(t))

    def month_start(self, t: int) -> int:
        """Local midnight starting the calendar month holding t."""
        return self.midnight(self.date(t).replace(day=1))

    def next_day_start(self, t: int) -> int:
        return self.midnight(self.date(t) + _DAY)

    def next_month_start(self, t: int) -> int:
        return self.midnight(self.date(t).replace(day=1) + relativedelta(months=1))
