"""Business hours and holidays: whether a person can pick up now, in the team's own time zone."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
from knowledge_base.errors import InvalidInput

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LINE = re.compile(r"^\s*(?P<days>[a-z,\-\s]+?)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$")


class ScheduleError(InvalidInput):
    pass


@dataclass(frozen=True)
class BusinessHours:
    """``open`` lines like ``"mon-fri 09:00-21:00"``; no lines means always open.

    Holidays close a day that is normally open; ``workdays`` open a weekend day (调休) with the
    hours of Monday.
    """
    zone: ZoneInfo
    weekly: Dict[int, Tuple[Tuple[time, time], ...]]
    holidays: FrozenSet[date] = frozenset()
    workdays: FrozenSet[date] = frozenset()

    @property
    def always_open(self) -> bool:
        return not self.weekly

    def is_open(self, when: Optional[datetime] = None) -> bool:
        if self.always_open:
            return True
        local = (when or datetime.now(self.zone)).astimezone(self.zone)
        day = local.date()
        if day in self.holidays:
            return False
        weekday = 0 if day in self.workdays else local.weekday()
        return any(start <= local.time() < end for start, end in self.weekly.get(weekday, ()))

    @classmethod
    def parse(cls, timezone: str, lines: Sequence[str], holidays: Sequence = (), workdays: Sequence = (),
              where: str = "handoff.business_hours") -> "BusinessHours":
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleError(f"{where}.timezone: unknown time zone {timezone!r} (e.g. Asia/Shanghai)")
        weekly: Dict[int, List[Tuple[time, time]]] = {}
        for n, line in enumerate(lines):
            for day, span in _parse_line(str(line), f"{where}.open[{n}]"):
                weekly.setdefault(day, []).append(span)
        return cls(zone, {d: tuple(s) for d, s in weekly.items()},
                   _dates(holidays, f"{where}.holidays"), _dates(workdays, f"{where}.workdays"))


def _parse_line(line: str, where: str):
    found = LINE.match(line.lower())
    if not found:
        raise ScheduleError(f"{where}: {line!r} is not like \"mon-fri 09:00-21:00\"")
    start, end = (_time(found[k], where) for k in ("start", "end"))
    if end <= start:
        raise ScheduleError(f"{where}: {line!r} closes before it opens")
    return [(day, (start, end)) for day in _days(found["days"], where)]


def _days(text: str, where: str) -> List[int]:
    days: List[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ScheduleError(f"{where}: {part!r} is not a day range like mon-fri (days: {', '.join(DAYS)})")
        a, b = DAYS.index(first), DAYS.index(last or first)
        days += list(range(a, b + 1)) if a <= b else list(range(a, 7)) + list(range(0, b + 1))
    return days


def _time(text: str, where: str) -> time:
    hours, minutes = map(int, text.split(":"))
    if hours == 24 and minutes == 0:
        return time.max
    if hours > 23 or minutes > 59:
        raise ScheduleError(f"{where}: {text!r} is not a time of day")
    return time(hours, minutes)


def _dates(values: Sequence, where: str) -> FrozenSet[date]:
    out = set()
    for n, value in enumerate(values):
        try:
            out.add(value if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError:
            raise ScheduleError(f"{where}[{n}]: {value!r} is not a date like 2026-10-01")
    return frozenset(out)
