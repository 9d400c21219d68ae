"""The follow-ups of an archive: every digest's items joined with their answers, as of any call."""
from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.model.diagnostics import Location
from pipeline.model.digest import Digest
from pipeline.model.followups import Closing, FollowUp


@dataclass(frozen=True)
class Answer:
    """Where and when a follow-up was answered."""

    number: int  # the call as of which it counts as answered
    url: str
    note: str
    location: Location  # where the answer is written


@dataclass(frozen=True)
class Tracked:
    """A follow-up across the archive: its versions (one per language of its call) and its answer."""

    versions: tuple[tuple[str, FollowUp], ...]  # (language, item), the call's own language first
    answer: Answer | None

    @property
    def item(self) -> FollowUp:
        return self.versions[0][1]

    @property
    def id(self) -> str:
        return self.item.id

    @property
    def number(self) -> int:
        return self.item.number

    def in_language(self, language: str) -> FollowUp:
        """Return the item as the version in `language` writes it, else as its call's own version does."""
        return next((item for code, item in self.versions if code == language), self.item)

    def open_at(self, number: int) -> bool:
        """Return True when the item was opened at or before call `number` and not answered by then."""
        return self.number <= number and (self.answer is None or self.answer.number > number)


def versions_first(digests: Iterable[Digest]) -> list[Digest]:
    """Return `digests` by call, each call's own language first."""
    return sorted(digests, key=lambda d: (d.meta.number, d.language != d.meta.call_language, d.language))


class FollowupIndex:
    """Every follow-up of an archive, with its answer; problems of the answers are the checks' to find."""

    def __init__(self, digests: Iterable[Digest]) -> None:
        ordered = versions_first(digests)
        self.numbers = sorted({d.meta.number for d in ordered})
        versions: dict[str, list[tuple[str, FollowUp]]] = {}
        for digest in ordered:
            for item in digest.followups:
                found = versions.setdefault(item.id, [])
                if not found or found[0][1].number == item.number:  # an id reused by another call: the checks say so
                    found.append((digest.language, item))
        self.closings: dict[str, list[Closing]] = {}
        seen: set[tuple[str, int]] = set()
        self.notes: dict[tuple[str, int, str], str] = {}  # (id, call, language) -> what that version's answer says
        for digest in ordered:
            for closing in digest.closings:
                self.notes.setdefault((closing.id, closing.number, digest.language), closing.note)
                if (closing.id, closing.number) not in seen:  # the versions of one call say it once
                    seen.add((closing.id, closing.number))
                    self.closings.setdefault(closing.id, []).append(closing)
        self.items = {key: Tracked(tuple(found), self.answer(found[0][1])) for key, found in versions.items()}
        self.ordered = sorted(self.items.values(), key=lambda t: t.number)  # stable: in order of writing
        self._open: dict[int, tuple[Tracked, ...]] | None = None
        self._answered: dict[int, list[Tracked]] = {}
        for tracked in self.ordered:
            if tracked.answer is not None:
                self._answered.setdefault(tracked.answer.number, []).append(tracked)
        self._answer_numbers = sorted(self._answered)
        self._position = {t.id: n for n, t in enumerate(self.ordered)}

    def answer(self, item: FollowUp) -> Answer | None:
        """Return where `item` was answered: in its own digest ([x]), else by the first later digest saying so."""
        if item.done:
            return Answer(item.answered_call or item.number, item.answered_url, "", item.location)
        closings = self.closings.get(item.id)
        if not closings:
            return None
        first = closings[0]
        return Answer(first.number, first.url, first.note, first.location)

    def previous(self, number: int) -> int:
        """Return the number of the last call with a digest before call `number` (0 when none)."""
        at = bisect.bisect_left(self.numbers, number)
        return self.numbers[at - 1] if at else 0

    def open_before(self, number: int) -> list[Tracked]:
        """Return the items of earlier calls still open as of call `number`."""
        if not self.ordered:
            return []
        if self._open is None:
            self._open = self._open_lists()
        found = self._open.get(number)
        if found is None:  # a call without a digest here (a draft's): look at every item
            return [t for t in self.ordered if t.number < number and t.open_at(number)]
        return list(found)

    def _open_lists(self) -> dict[int, tuple[Tracked, ...]]:
        """Return the items open as of each call with a digest, in one pass over the calls in order.

        An item stays in the pass only until it is answered: the work is what the digests show,
        not the number of calls times the number of items.
        """
        lists: dict[int, tuple[Tracked, ...]] = {}
        active: list[Tracked] = []
        waiting = iter(self.ordered)
        following = next(waiting, None)
        for number in self.numbers:
            while following is not None and following.number < number:
                active.append(following)
                following = next(waiting, None)
            active = [t for t in active if t.open_at(number)]
            lists[number] = tuple(active)
        return lists

    def answered_since(self, number: int) -> list[Tracked]:
        """Return the items of earlier calls answered after the call before `number`, up to `number`."""
        if not self._answered:
            return []
        since = self.previous(number)
        start = bisect.bisect_right(self._answer_numbers, since)
        end = bisect.bisect_right(self._answer_numbers, number)
        found = [t for n in self._answer_numbers[start:end] for t in self._answered[n] if t.number < number]
        return sorted(found, key=lambda t: self._position[t.id]) if end - start > 1 else found

    def of_call(self, number: int) -> list[Tracked]:
        """Return the items call `number` opened."""
        return [t for t in self.ordered if t.number == number]

    def open_now(self) -> list[Tracked]:
        """Return the items not answered by any digest of the archive."""
        return [t for t in self.ordered if t.answer is None]

    def view(self, digest: Digest) -> FollowupView:
        """Return what the outputs of `digest` show of the follow-ups, in its language, as of its call.

        Its own items come from `digest` itself (parsed, or its summary), their answers from the index;
        the render key of `digest` hashes this view, so that outputs and keys agree whatever the index knew.
        """
        number, language = digest.meta.number, digest.language

        def row(tracked: Tracked, answered: bool) -> Row:
            item = tracked.in_language(language)  # open as of this call: its later answer is no part of the view
            return Row(tracked.id, item.what, item.owner, item.due, tracked.number,
                       self._shown(item.id, tracked.answer, language) if answered else None)
        own = tuple(Row(item.id, item.what, item.owner, item.due, item.number,
                        self._shown(item.id, self.answer(item), language)) for item in digest.followups)
        return FollowupView(number, own, tuple(row(t, False) for t in self.open_before(number)),
                            tuple(row(t, True) for t in self.answered_since(number)))

    def rows(self, language: str) -> list[Row]:
        """Return every item as the version in `language` writes it, open ones first, then by call."""
        found = [Row(t.id, t.in_language(language).what, t.in_language(language).owner, t.item.due, t.number,
                     self._shown(t.id, t.answer, language)) for t in self.ordered]
        return sorted(found, key=lambda row: row.answer is not None)  # stable: by call within each group

    def _shown(self, item_id: str, answer: Answer | None, language: str) -> Answer | None:
        """Return `answer` as outputs in `language` show it: its note as that language's version of the
        answering digest writes it, and in which file it is, not on which line (an edit above it changes nothing)."""
        if answer is None:
            return None
        note = self.notes.get((item_id, answer.number, language), answer.note)
        return dataclasses.replace(answer, note=note, location=Location(answer.location.path))

    def fingerprint_rows(self) -> tuple[object, ...]:
        """Return everything the index is made from, for a hash."""
        return tuple((t.versions, t.answer) for t in self.ordered) + tuple(sorted(self.closings.items()))


@dataclass(frozen=True)
class Row:
    """One follow-up as an output shows it: in one language, with its answer if any."""

    id: str
    what: str
    owner: str
    due: dt.date | None
    number: int  # the call that opened it
    answer: Answer | None


@dataclass(frozen=True)
class FollowupView:
    """The follow-ups one digest's outputs show: its own items, and the earlier ones open or just answered."""

    number: int
    own: tuple[Row, ...]
    open: tuple[Row, ...]
    answered: tuple[Row, ...]

