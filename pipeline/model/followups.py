"""Follow-ups as one digest writes them: its task-list items, and the earlier items it answers.

A follow-up is a task-list item of a digest (`* [ ] … (owner: …, due: …)`); it is answered in its
own digest (`[x]` with `answered: …`), or by a later digest (its front matter's `answers:`, or its
`### Answered follow-ups` subsection). model/followup_index.py joins them across the archive.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.model.diagnostics import Location
from pipeline.model.frozen import pickled_by_value

# The attributes the parser sets on the <li> of a follow-up: the rest of the item is its text.
FOLLOWUP_ATTR = "data-followup"  # the item's id
CHECK_ATTR = "data-check"  # on the <span> a renderer puts first in an item: "open" or "done"
PAGE_ATTR = "data-page"  # on a generated <a> to a page of the archive's own wiki: its title (a wikilink on Meta)


@pickled_by_value()
@dataclass(frozen=True, slots=True)
class FollowUp:
    """One task-list item of one digest version, as written."""

    id: str  # "001-1", or the explicit "{#ucoc-link}" without its marks
    number: int  # the call that opened it
    what: str  # its text, without the box, the id and the parenthesis of owner and dates
    location: Location
    owner: str = ""
    due: dt.date | None = None
    done: bool = False  # written "[x]"
    answered_url: str = ""  # from "answered: <https://…>"
    answered_call: int = 0  # from "answered: on call 007"


@pickled_by_value()
@dataclass(frozen=True, slots=True)
class Closing:
    """A later digest saying an earlier follow-up is answered: front matter `answers:` or `### Answered follow-ups`."""

    id: str
    number: int  # the call of the digest that says so
    note: str
    url: str
    location: Location
