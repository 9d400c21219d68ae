"""What every output says of follow-ups: a digest's own items with their box, id, owner and answer;
"Open follow-ups from earlier calls" and "Answered since the last call" as of the digest's call.

Everything here is made from the digest's FollowupView (model/followup_index.py), which its render
key hashes; the renderers differ in markup only (a Check is "[ ]" in text, a checkbox in HTML and wikitext).
"""
from __future__ import annotations

import copy
import dataclasses
import json
import xml.etree.ElementTree as etree
from collections.abc import Sequence

from pipeline.model import locale
from pipeline.model.archive import Archive
from pipeline.model.digest import Topic
from pipeline.model.followup_index import Row
from pipeline.model.followups import CHECK_ATTR, FOLLOWUP_ATTR, PAGE_ATTR
from pipeline.model.settings import Language, wiki_url
from pipeline.render.document import Check, Document, Inline, ItemList, Link, Paragraph, fill, page_title

BOXES = {False: "\u2610", True: "\u2611"}  # ☐ ☑: what HTML and wikitext show; the text email writes [ ] and [x]


def with_followups(archive: Archive, doc: Document) -> Document:
    """Return `doc` with its own follow-ups marked and the lists of earlier ones after its topics."""
    view = archive.followups.view(doc.digest)
    language = doc.language
    sections = doc.sections
    if view.own:
        rows = {row.id: row for row in view.own}
        sections = tuple(dataclasses.replace(s, topic=_marked(s.topic, rows, archive, language)) for s in sections)
    lists = []
    if view.open:
        lists.append(ItemList(language.t("followups_open_heading"),
                              tuple(open_line(archive, row, language, view.number) for row in view.open)))
    if view.answered:
        lists.append(ItemList(language.t("followups_answered_heading"),
                              tuple(answered_line(archive, row, language, view.number) for row in view.answered)))
    return dataclasses.replace(doc, sections=sections, followups=tuple(lists))


def check(done: bool, language: Language) -> Check:
    """Return a box, ticked when `done`, with its state in words."""
    return Check(done, language.t("followup_done" if done else "followup_open"))


def call_link(archive: Archive, number: int, language: Language, here: int) -> Inline:
    """Return "call #006" linked to its digest's page; as text for the call `here` or a call with no digest."""
    label = language.t("followup_call", number=f"{number:03d}")
    versions = archive.versions(number)
    if not versions or number == here:  # a page linking itself shows bold text on Meta, not a link
        return label
    title = page_title(archive, versions[0])
    return Link(label, wiki_url(archive.site, title), title)


def facts(row: Row, language: Language) -> list[Inline]:
    """Return "owner: Asaf (WMF); due July 1st 2020" (or "no owner yet")."""
    pieces: list[Inline] = [language.t("followup_owner", owner=row.owner) if row.owner
                            else language.t("followup_no_owner")]
    if row.due is not None:
        pieces.append("; " + language.t("followup_due", date=locale.long_date(language.code, row.due)))
    return pieces


def answered_pieces(archive: Archive, row: Row, language: Language, here: int) -> list[Inline]:
    """Return "answered on call #009 (the answer)", the answer linked when it has an address."""
    if row.answer is None:
        return []
    pieces = list(fill(language.strings["followup_answered"],
                       call=call_link(archive, row.answer.number, language, here)))
    if row.answer.url:
        pieces += [" (", Link(language.t("followup_answer_link"), row.answer.url), ")"]
    return pieces


def open_line(archive: Archive, row: Row, language: Language, number: int) -> Paragraph:
    """Return one open item: box, id, what, owner and due date, the call that opened it and the calls since."""
    opened = fill(language.strings["followup_opened"], call=call_link(archive, row.number, language, number),
                  age=str(number - row.number))
    return (check(False, language), f" {row.id}: {row.what} – ", *facts(row, language), "; ", *opened)


def answered_line(archive: Archive, row: Row, language: Language, number: int) -> Paragraph:
    """Return one answered item: box, id, what, owner, where it was answered, and what the answer says."""
    note = f": {row.answer.note}" if row.answer is not None and row.answer.note else ""
    return (check(True, language), f" {row.id}: {row.what} – ", *facts(row, language), "; ",
            *answered_pieces(archive, row, language, number), note)


# ------------------------------------------------------------------ a digest's own items, in its tree

def _marked(topic: Topic, rows: dict[str, Row], archive: Archive, language: Language) -> Topic:
    """Return `topic` with each of its follow-ups given its box and id before, owner and answer after."""
    if not any(li.get(FOLLOWUP_ATTR) for block in topic.elements for li in block.iter("li")):
        return topic
    elements = tuple(copy.deepcopy(block) for block in topic.elements)  # the parsed tree stays as parsed
    for block in elements:
        for li in block.iter("li"):
            row = rows.get(li.get(FOLLOWUP_ATTR, ""))
            if row is not None:
                _mark(li, row, archive, language)
    return dataclasses.replace(topic, elements=elements)


def _mark(li: etree.Element, row: Row, archive: Archive, language: Language) -> None:
    holder = li[0] if not (li.text or "").strip() and len(li) and li[0].tag == "p" else li
    box = check(row.answer is not None, language)
    span = etree.Element("span", {CHECK_ATTR: "done" if box.done else "open", "aria-label": box.state})
    span.text = BOXES[box.done]
    span.tail = f" {row.id}: " + (holder.text or "")
    holder.text = ""
    holder.insert(0, span)
    after: list[Inline] = [" – ", *facts(row, language)]
    if row.answer is not None:
        after += ["; ", *answered_pieces(archive, row, language, row.number)]
    _append(holder, after)


def _append(el: etree.Element, pieces: Sequence[Inline]) -> None:
    """Add generated text and links at the end of `el`'s inline content (before any nested list)."""
    position = next((n for n, child in enumerate(el) if child.tag in ("ul", "ol", "p", "blockquote")), len(el))
    for piece in pieces:
        if isinstance(piece, Link):
            link = etree.Element("a", {"href": piece.url, **({PAGE_ATTR: piece.page} if piece.page else {})})
            link.text = piece.label
            el.insert(position, link)
            position += 1
        elif isinstance(piece, str):
            if position:
                before = el[position - 1]
                before.tail = (before.tail or "") + piece
            else:
                el.text = (el.text or "") + piece


# ------------------------------------------------------------------ `clinics followups`

def listing(archive: Archive, only_open: bool = False, owner: str | None = None, as_json: bool = False) -> str:
    """Return every follow-up (open ones first), or the open ones, or one owner's, as text or JSON."""
    newest = max((d.meta.number for d in archive.digests), default=0)
    site = archive.site
    code = site.default_language if site.default_language in site.languages else next(iter(site.languages), "en")
    rows = [row for row in archive.followups.rows(code)
            if not (only_open and row.answer is not None)
            and (owner is None or owner.casefold() in row.owner.casefold())]
    if as_json:
        return json.dumps([_row_json(row, newest) for row in rows], ensure_ascii=False, indent=1) + "\n"
    return "".join(_row_text(row, newest) for row in rows)


def _row_json(row: Row, newest: int) -> dict[str, object]:
    answer = row.answer
    return {"id": row.id, "what": row.what, "owner": row.owner or None,
            "due": row.due.isoformat() if row.due else None, "opened": row.number,
            "status": "open" if answer is None else "answered",
            "open_for_calls": newest - row.number if answer is None else None,
            "answer": None if answer is None else {"call": answer.number, "url": answer.url or None,
                                                   "note": answer.note or None, "where": answer.location.path}}


def _row_text(row: Row, newest: int) -> str:
    """Return "[ ] 006-1  call 006  owner: …  due …  open for 3 calls", then the item's text, indented."""
    parts = ["[x]" if row.answer else "[ ]", row.id, f"call {row.number:03d}", f"owner: {row.owner or '(none)'}"]
    if row.due:
        parts.append(f"due {row.due.isoformat()}")
    if row.answer is None:
        parts.append(f"open for {newest - row.number} calls")
    else:
        parts.append(f"answered on call {row.answer.number:03d}" + (f": {row.answer.url}" if row.answer.url else ""))
    return "  ".join(parts) + f"\n    {row.what}\n"
