"""The sent log's record of calendar events: what each announcement told subscribers, for SEQUENCE.

`clinics send` writes <digests>/sent-log.jsonl (deliver/mail.py); an announcement's lines carry
the hash of its event's content and the SEQUENCE it was sent with. A build reads them here so
that a call whose details changed since it was announced gets a higher SEQUENCE (RFC 5545,
3.8.7.4; RFC 5546, 2.1.4), which calendar clients need before they replace the event they have.

The log is untrusted like every input: a line that cannot be read is left out with a warning,
and the file is never followed through a symbolic link.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from pipeline.model.calendar import SentEvent
from pipeline.model.diagnostics import Diagnostic, Location, warning

SENT_LOG = "sent-log.jsonl"
MAX_BYTES = 50_000_000  # some hundred thousand sends


def load_sent_events(folder: Path, display: str) -> tuple[dict[int, SentEvent], list[Diagnostic]]:
    """Return the last event sent (or maybe sent) for each call number, from the sent log in `folder`."""
    try:
        fd = os.open(folder / SENT_LOG, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return {}, []
    except OSError as exc:
        return {}, [_ignored(display, 0, f"it cannot be read ({exc.strerror})")]
    with os.fdopen(fd, "rb") as handle:
        raw = handle.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        return {}, [_ignored(display, 0, f"it is larger than {MAX_BYTES:,} bytes")]
    found: dict[int, SentEvent] = {}
    bad = 0
    first_bad = 0
    for number, line in enumerate(raw.split(b"\n"), 1):
        if not line.strip():
            continue
        event = _event(line)
        if event is None:
            bad += 1
            first_bad = first_bad or number
        elif event[1] is not None:
            found[event[0]] = event[1]
    problems = [] if not bad else [warning(
        "sent-log-line", f"{bad} line{'s' if bad > 1 else ''} of the sent log cannot be read and "
        f"{'are' if bad > 1 else 'is'} left out of the calendar's SEQUENCE numbers", Location(display, first_bad),
        "a line cut short by an interrupted send is expected; otherwise restore the log from a backup")]
    return found, problems


def _event(line: bytes) -> tuple[int, SentEvent | None] | None:
    """Return (call number, event) of an announcement's line; (0, None) for any other line; None if unreadable."""
    try:
        record = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(record, dict):
        return None
    item, content, sequence = record.get("id"), record.get("content"), record.get("sequence")
    if not (isinstance(item, str) and item.startswith("announce-")) or record.get("event") not in ("sending", "sent"):
        return 0, None  # a digest, a failed send, or a line written before events were recorded
    if not (isinstance(content, str) and isinstance(sequence, int) and not isinstance(sequence, bool)
            and 0 <= sequence < 10_000 and item[9:].isdigit()):
        return 0, None
    try:
        date = dt.datetime.fromisoformat(str(record.get("date")))
    except ValueError:
        return None
    if date.tzinfo is None:
        return None
    return int(item[9:]), SentEvent(content, sequence, date.astimezone(dt.timezone.utc))


def _ignored(display: str, line: int, why: str) -> Diagnostic:
    return warning("sent-log-unreadable", f"the sent log is left out of the calendar's SEQUENCE numbers: {why}",
                   Location(display, line), "check the file's permissions, or restore it from a backup")
