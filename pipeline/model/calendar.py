"""The calendar: calls scheduled in schedule.yaml, and past ones known from their digests."""
from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.model.diagnostics import Location
from pipeline.model.digest import Digest, Scheduled
from pipeline.model.localised import Localised

DEFAULT_DURATION = 90
UPCOMING_SHOWN = 3  # how many upcoming calls a digest lists


@dataclass(frozen=True)
class Call:
    """A call on the calendar: a scheduled one, or a past one known from its digest."""

    number: int
    start: dt.datetime  # aware, UTC
    duration: int = DEFAULT_DURATION
    link: str = ""
    language: str = "en"
    scheduled: Scheduled | None = None  # its topic in the call's language (else as `topics` falls back)
    note: Localised = Localised()
    topics: Localised = Localised()  # the scheduled topic in each language it is given in
    timed: bool = True  # False for a past call whose digest gives no time
    location: Location = Location("")

    @property
    def number_text(self) -> str:
        return f"{self.number:03d}"

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(minutes=self.duration)


def past_calls(digests: Iterable[Digest]) -> list[Call]:
    """Return one Call per digested call number, from its digest's date and time."""
    calls: dict[int, Call] = {}
    topics: dict[int, list[tuple[str, str]]] = {}
    for digest in digests:
        meta = digest.meta
        if meta.scheduled:  # each version names the segment in its own language
            topics.setdefault(meta.number, []).append((meta.language, meta.scheduled.topic))
        if meta.number in calls:
            continue
        time = meta.time or dt.time(0, 0)
        start = dt.datetime.combine(meta.date, time, tzinfo=dt.timezone.utc)
        calls[meta.number] = Call(meta.number, start, meta.duration or DEFAULT_DURATION, "", meta.call_language,
                                  meta.scheduled, timed=meta.time is not None)
    return [dataclasses.replace(call, topics=Localised(tuple(topics.get(number, ()))))
            for number, call in calls.items()]


def upcoming_after(day: dt.date, calls: Sequence[Call], count: int = UPCOMING_SHOWN) -> list[Call]:
    """Return the first `count` calls that start after `day`, soonest first; `calls` is sorted by start."""
    first = bisect.bisect_right(calls, day, key=lambda c: c.start.date())
    return list(calls[first:first + count])


@dataclass(frozen=True)
class SentEvent:
    """What subscribers last received of a call's event: its content's hash, its SEQUENCE, when it was sent."""

    content: str
    sequence: int
    date: dt.datetime
