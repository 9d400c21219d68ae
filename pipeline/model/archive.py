"""The archive: a folder of digests with its settings, catalog and schedule, read and checked once."""
from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.model.calendar import Call, SentEvent, past_calls, upcoming_after
from pipeline.model.catalog import Catalog
from pipeline.model.diagnostics import Diagnostic
from pipeline.model.digest import Digest, Status
from pipeline.model.followup_index import FollowupIndex
from pipeline.model.settings import Site

DEFAULT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"  # the project's own


@dataclass
class Archive:
    """Everything `build` renders, read and validated once."""

    folder: Path
    site: Site
    catalog: Catalog
    digests: list[Digest] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)  # the schedule: upcoming calls
    sent_events: dict[int, SentEvent] = field(default_factory=dict)  # by call number, from the sent log
    diagnostics: list[Diagnostic] = field(default_factory=list)
    templates: Path = DEFAULT_TEMPLATES  # the email template and stylesheet, the introductions
    outdated: set[str] = field(default_factory=set)  # ids of translations whose source changed since
    _by_number: dict[int, list[Digest]] | None = field(default=None, repr=False)
    _calendar: list[Call] | None = field(default=None, repr=False)
    _finals: list[int] | None = field(default=None, repr=False)  # the numbers of calls with a final digest
    _followups: FollowupIndex | None = field(default=None, repr=False)

    def replace_digests(self, digests: list[Digest]) -> None:
        """Put `digests` in place of the archive's, forgetting every index built from the old ones."""
        self.digests = digests
        self._by_number = None
        self._calendar = None
        self._finals = None
        self._followups = None

    @property
    def followups(self) -> FollowupIndex:
        """Return the follow-ups of every final digest, with their answers: a draft's show in no other output."""
        if self._followups is None:
            self._followups = FollowupIndex(d for d in self.digests if d.meta.status is Status.FINAL)
        return self._followups

    def versions(self, number: int) -> list[Digest]:
        """Return every version of call `number`, in the call's language first."""
        if self._by_number is None:
            index: dict[int, list[Digest]] = {}
            for digest in self.digests:
                index.setdefault(digest.meta.number, []).append(digest)
            for found in index.values():
                found.sort(key=lambda d: (d.language != d.meta.call_language, d.language))
            self._by_number = index
        return self._by_number.get(number, [])

    def neighbours(self, digest: Digest) -> tuple[Digest | None, Digest | None]:
        """Return the final digests of the calls before and after `digest`'s: in its language where they have it."""
        if self._finals is None:
            self._finals = sorted({d.meta.number for d in self.digests if d.meta.status is Status.FINAL})
        numbers = self._finals
        at = bisect.bisect_left(numbers, digest.meta.number)
        before = numbers[at - 1] if at > 0 else None
        after_at = at + 1 if at < len(numbers) and numbers[at] == digest.meta.number else at
        after = numbers[after_at] if after_at < len(numbers) else None
        return self._version_in(before, digest.language), self._version_in(after, digest.language)

    def _version_in(self, number: int | None, language: str) -> Digest | None:
        if number is None:
            return None
        finals = [d for d in self.versions(number) if d.meta.status is Status.FINAL]
        return next((d for d in finals if d.language == language), finals[0])

    def upcoming(self, day: dt.date) -> list[Call]:
        """Return the calls after `day`: scheduled ones, and later calls that already have a digest."""
        if self._calendar is None:
            self._calendar = sorted([*self.calls, *past_calls(self.digests)], key=lambda c: (c.start, c.number))
        return upcoming_after(day, self._calendar)
