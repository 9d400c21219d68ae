"""Follow-ups in a digest's tree: task-list items, and the `### Answered follow-ups` subsection.

An item is a list item of a topic whose text starts with a box, `[ ]` (open) or `[x]` (answered),
and may end with a parenthesis of fields and an explicit id:

    * [ ] Share the consultation link on the list (owner: Asaf (WMF), due: 2020-07-01)
    * [x] Send the grant links (owner: Claudia, answered: <https://lists.wikimedia.org/…>) {#grant-links}

Its id is `NNN-K` (the K-th item of call NNN), or the explicit `{#name}`. The parser takes the
box, the fields and the id out of the item's tree and marks the item with its id (FOLLOWUP_ATTR):
every renderer then shows the box, the id and the fields in its own way, in the digest's language.
The fields are read from the item's text; the structure (lists, headings, links) from the tree.
"""
from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as etree
from collections.abc import Iterator
from dataclasses import dataclass, field

from pipeline.model.diagnostics import Diagnostic, Location, error
from pipeline.model.digest import CATALOG_ATTR, Topic
from pipeline.model.followups import FOLLOWUP_ATTR, Closing, FollowUp
from pipeline.parse.tree import Locator, link_problem, plain_text
from pipeline.read.text import shown

ANSWERED_HEADING = "Answered follow-ups"  # the subsection's heading in every language, beside its translation
FIELDS = ("owner", "due", "answered")
_BOX = re.compile(r"\s*\[([ xX])\](?:\s+|\Z)")
_EXPLICIT_ID = re.compile(r"\s*\{#([^{}\s]*)\}\s*\Z")
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}\Z")
_FIELDS_START = re.compile(r"\((?=\s*(?:owner|due|answered)\s*:)")
_FIELD_SPLIT = re.compile(r"[,;]\s*(?=(?:owner|due|answered)\s*:)")
_CALL = re.compile(r"\bcall\s+#?(\d{1,4})\b", re.IGNORECASE)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z")
_CLOSING_ID = re.compile(r"\s*(?:\[[ xX]\]\s*)?([a-z0-9][a-z0-9-]*)\s*:\s*")


@dataclass
class Found:
    """What the follow-ups of one digest version are, and what is wrong with them."""

    items: list[FollowUp] = field(default_factory=list)
    closings: list[Closing] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)


def extract(topics: list[Topic], locator: Locator, number: int, answered_heading: str) -> Found:
    """Return the follow-ups and answers written in `topics`, taking each item's box, fields and id out of its tree."""
    found = Found()
    headings = {ANSWERED_HEADING.casefold(), answered_heading.strip().casefold()}
    count = 0
    for topic in topics:
        if topic.is_intro:
            continue
        answering = False
        for block in topic.elements:
            if block.tag in ("h3", "h4", "h5", "h6"):
                answering = plain_text(block).casefold() in headings
                continue
            if block.tag not in ("ul", "ol"):
                continue
            cursor = locator.block_offsets.get(id(block), 0)
            for li in _items(block):
                offset = locator.find(_first_line(li), cursor)
                where = locator.location(offset if offset >= 0 else cursor)
                cursor = offset + 1 if offset >= 0 else cursor
                if answering:
                    _closing(li, where, number, found)
                    continue
                target = _text_holder(li)
                box = _BOX.match(target.text or "")
                if box is None:
                    continue
                count += 1
                _item(li, target, box, where, f"{number:03d}-{count}", number, found)
    seen: dict[str, FollowUp] = {}
    for item in found.items:
        if item.id in seen:
            found.problems.append(error(
                "duplicate-followup", f"follow-up id '{item.id}' is given twice in this digest (first on line "
                f"{seen[item.id].location.line})", item.location, "give each follow-up its own {#id}"))
        seen.setdefault(item.id, item)
    return found


def _items(block: etree.Element) -> Iterator[etree.Element]:
    """Yield the items of a list and of the lists nested in them."""
    for li in block:
        if li.tag != "li":
            continue
        yield li
        for child in li:
            if child.tag in ("ul", "ol"):
                yield from _items(child)


def _text_holder(li: etree.Element) -> etree.Element:
    """Return the element holding an item's first line: the item, or its first paragraph in a loose list."""
    if not (li.text or "").strip() and len(li) and li[0].tag == "p":
        return li[0]
    return li


def _first_line(li: etree.Element) -> str:
    """Return the start of an item's text as it is likely written (its first text, before any link or emphasis)."""
    return (_text_holder(li).text or "").strip().split("\n")[0][:40]


def _item(li: etree.Element, target: etree.Element, box: re.Match[str], where: Location, numbered: str,
          number: int, found: Found) -> None:
    """Read one task-list item into `found`, and leave only its text in the tree."""
    target.text = (target.text or "")[box.end():]
    item_id = _explicit_id(target, where, found) or numbered
    fields, links = _take_fields(target)
    done = box.group(1) != " "
    values = _read_fields(fields, where, found)
    answered = values.get("answered", "")
    url = next((href for href in links if link_problem(href) is None), "")
    call = _CALL.search(answered)
    if done and not (url or call):
        found.problems.append(error(
            "followup-unanswered", "a follow-up marked [x] does not say where it was answered", where,
            "end it with '(…, answered: <https://…>)' or '(…, answered: on call 007)'"))
    elif answered and not done:
        found.problems.append(error(
            "followup-unanswered", "a follow-up says 'answered:' but its box is open ([ ])", where,
            "write [x] when it is answered, or take 'answered:' out"))
    due = _due(values.get("due", ""), where, found)
    if call and int(call.group(1)) < number:
        found.problems.append(error(
            "followup-answered-before", f"follow-up {item_id} of call {number:03d} says it was answered on call "
            f"{int(call.group(1)):03d}, before it was opened", where, "name the call where it was answered"))
    li.set(FOLLOWUP_ATTR, item_id)
    found.items.append(FollowUp(
        id=item_id, number=number, what=plain_text(target), location=where, owner=values.get("owner", ""),
        due=due, done=done, answered_url=url if done else "", answered_call=int(call.group(1)) if call and done else 0))


def _explicit_id(target: etree.Element, where: Location, found: Found) -> str:
    """Return the `{#id}` ending the item's text, taken out of the tree; "" when there is none."""
    last = target[-1] if len(target) else None
    text = (last.tail if last is not None else target.text) or ""
    match = _EXPLICIT_ID.search(text)
    if match is None:
        return ""
    if last is not None:
        last.tail = text[:match.start()]
    else:
        target.text = text[:match.start()]
    if not _ID.match(match.group(1)) or match.group(1).isdigit():
        found.problems.append(error(
            "bad-followup-id", f"follow-up id '{shown(match.group(1))}' is not a lower-case name", where,
            "write it as {#ucoc-link}: lower-case letters, digits and '-', not a number alone"))
        return ""
    return match.group(1)


def _take_fields(target: etree.Element) -> tuple[str, list[str]]:
    """Return the text inside the item's closing "(owner: …, due: …)" and its links, taken out of the tree."""
    segments: list[tuple[int, str]] = [(-1, target.text or "")] + [(n, c.tail or "") for n, c in enumerate(target)]
    for index, text in reversed(segments):
        starts = list(_FIELDS_START.finditer(text))
        if not starts:
            continue
        start = starts[-1].start()
        children = list(target)[index + 1:]
        rest = text[start + 1:] + "".join("".join(c.itertext()) + (c.tail or "") for c in children)
        if not rest.rstrip().endswith(")"):
            return "", []
        links = [a.get("href", "") for c in children for a in c.iter("a")]
        if index < 0:
            target.text = text[:start].rstrip()
        else:
            target[index].tail = text[:start].rstrip()
        for child in children:
            target.remove(child)
        return rest.rstrip()[:-1], links
    return "", []


def _read_fields(text: str, where: Location, found: Found) -> dict[str, str]:
    values: dict[str, str] = {}
    for part in _FIELD_SPLIT.split(text) if text.strip() else []:
        key, _, value = part.partition(":")
        key = key.strip()
        if key in values:
            found.problems.append(error("bad-followup", f"a follow-up gives '{key}' twice", where,
                                        "write each of owner, due and answered once"))
        values[key] = " ".join(value.split())
    return values


def _due(text: str, where: Location, found: Found) -> dt.date | None:
    if not text:
        return None
    match = _DATE.match(text)
    if match is None:
        found.problems.append(error("bad-followup", f"due date '{shown(text)}' is not written YYYY-MM-DD",
                                    where, "write 'due: 2020-07-01'"))
        return None
    try:
        return dt.date(*map(int, match.groups()))
    except ValueError:
        found.problems.append(error("bad-followup", f"due date '{shown(text)}' is not a real date", where,
                                    "write 'due: 2020-07-01'"))
        return None


def _closing(li: etree.Element, where: Location, number: int, found: Found) -> None:
    """Read one item of `### Answered follow-ups`: the id it answers, a sentence and a link."""
    target = _text_holder(li)
    match = _CLOSING_ID.match(target.text or "")
    if match is None:
        found.problems.append(error(
            "bad-answer", "an item under 'Answered follow-ups' does not start with the id it answers", where,
            "write '* 001-1: what was done, with [a link](https://…)'"))
        return
    # The answer's own link, before a catalog entry the sentence names ("The [Trust and Safety team][] wrote …").
    found_links = sorted((a for a in li.iter("a") if link_problem(a.get("href", "")) is None),
                         key=lambda a: a.get(CATALOG_ATTR) is not None)
    links = [a.get("href", "") for a in found_links]
    if not links:
        found.problems.append(error(
            "bad-answer", f"the answer to {match.group(1)} has no link to where it was answered", where,
            "link the list post, page or ticket that answers it: [the post](https://…)"))
        return
    written = plain_text(target)
    note = written.removeprefix(" ".join(match.group(0).split())).strip()
    found.closings.append(Closing(match.group(1), number, note or written, links[0], where))
