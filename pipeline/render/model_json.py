"""The model as JSON, for people who want to see what the parser understood."""
from __future__ import annotations

import json
import xml.etree.ElementTree as etree
from collections.abc import Iterator, Sequence
from typing import Any

from pipeline.model.archive import Archive
from pipeline.model.digest import Digest
from pipeline.model.followup_index import Row
from pipeline.model.output import Output



def render(archive: Archive, digest: Digest) -> Iterator[Output]:
    """Yield build/model/<id>.json."""

    data = to_json(digest)
    data["followups"] = followups_json(archive.followups.view(digest).own)
    yield Output(f"model/{digest.id}.json", dumps(data))


def followups_json(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """Return follow-ups as plain JSON values: id, what, owner, due date, the call that opened it, its answer."""
    return [{
        "id": row.id, "what": row.what, "owner": row.owner or None,
        "due": row.due.isoformat() if row.due else None, "opened": row.number,
        "status": "answered" if row.answer else "open",
        "answer": None if row.answer is None else {
            "call": row.answer.number, "url": row.answer.url or None, "note": row.answer.note or None,
            "where": str(row.answer.location)},
    } for row in rows]


def dumps(value: object) -> bytes:
    """Return `value` as JSON, one line per topic: readable, and made by the C encoder (no indent)."""
    if isinstance(value, dict) and "topics" in value:
        head = json.dumps({k: v for k, v in value.items() if k != "topics"}, ensure_ascii=False, sort_keys=True)
        topics = ",\n".join(json.dumps(t, ensure_ascii=False, sort_keys=True) for t in value["topics"])
        return f'{head[:-1]}, "topics": [\n{topics}\n]}}\n'.encode("utf-8")
    return (json.dumps(value, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def to_json(digest: Digest) -> dict[str, Any]:
    """Return `digest` as plain JSON values."""
    meta = digest.meta
    attendance = meta.attendance
    return {
        "id": digest.id,
        "path": digest.path,
        "number": meta.number,
        "date": meta.date.isoformat(),
        "language": meta.language,
        "call_language": meta.call_language,
        "time": meta.time.strftime("%H:%M") if meta.time else None,
        "duration": meta.duration,
        "attendance": None if attendance is None else {
            "staff": str(attendance.staff) if attendance.staff else None,
            "volunteers": str(attendance.volunteers) if attendance.volunteers else None,
        },
        "scheduled": None if meta.scheduled is None else {
            "topic": meta.scheduled.topic, "presenter": meta.scheduled.presenter},
        "intro": meta.intro,
        "status": meta.status.value,
        "citations": list(digest.citations),
        "answers": [{"id": c.id, "note": c.note, "link": c.url, "line": c.location.line} for c in digest.closings],
        "topics": [
            {
                "number": n,
                "title": topic.title,
                "line": topic.location.line,
                "intro": topic.is_intro,
                "heading": element_json(topic.heading),
                "body": [element_json(el) for el in topic.elements],
            }
            for n, topic in enumerate(digest.topics, 1)
        ],
    }


def element_json(el: etree.Element) -> list[Any]:
    """Return `el` as JsonML: [tag, {attributes}, text or child, …]."""
    node: list[Any] = [el.tag, dict(sorted(el.attrib.items()))]
    if _meaningful(el.text):
        node.append(el.text)
    for child in el:
        node.append(element_json(child))
        if _meaningful(child.tail):
            node.append(child.tail)
    return node


def _meaningful(text: str | None) -> bool:
    """Return False for the line breaks Python-Markdown puts between blocks."""
    return bool(text) and (bool(text.strip()) or "\n" not in text)  # type: ignore[union-attr]
