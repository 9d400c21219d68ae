"""`clinics new`: start a digest file with its front matter filled in; never overwrite one."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import yaml

from pipeline.model.diagnostics import ClinicsError
from pipeline.read.schedule import load_schedule
from pipeline.read.settings import load_site
from pipeline.read.source import LANGUAGE_PART

_TEMPLATE = """\
---
number: {number}
date: {date}
language: {language}
{time}status: draft         # change to final when the notes are ready to publish
---
## {topic}

* Volunteer:
    * What was asked, in a sentence or two.
* Name (WMF):
    * What was answered, with a link to every tool mentioned, e.g. [Quarry][].

### Follow-up

* [ ] What staff promised to find out after the call (owner: Name (WMF))
"""


class NewDigestError(ClinicsError):
    """The digest cannot be created; the message says why."""


def new_digest(folder: Path, number_text: str, language: str | None, date: dt.date | None,
               today: dt.date) -> Path:
    """Write a new digest for call `number_text` into `folder` and return its path.

    The date, time and language come from the schedule when the call is listed there,
    else the date is `today`; an explicit `date` or `language` wins.
    """
    if not number_text.isdigit() or not 1 <= int(number_text) <= 999_999:
        raise NewDigestError(f"'{number_text}' is not a call number (001, 012, 1000 …)")
    number = int(number_text)
    site, problems = load_site(folder / "site.yaml")
    if site is None:
        raise NewDigestError(f"{folder / 'site.yaml'} has errors; run `clinics check` first")
    calls, _ = load_schedule(folder / "schedule.yaml", site)
    call = next((c for c in calls if c.number == number), None)
    time = call.start.time() if call and date is None else None
    date = date or (call.start.date() if call else today)
    code = language or (call.language if call else site.default_language)
    if not LANGUAGE_PART.match(code) or code not in site.languages:
        raise NewDigestError(f"language '{code}' is not in {folder / 'site.yaml'} "
                             f"(known: {', '.join(site.languages)})")
    siblings = sorted(folder.glob(f"{number:03d}.*md"))
    name = f"{number:03d}.{code}.md" if language or any(p.name != f"{number:03d}.md" for p in siblings) \
        else f"{number:03d}.md"
    path = folder / name
    topic = {"es": "Título del tema", "ru": "Название темы"}.get(code, "Topic title")
    text = _TEMPLATE.format(number=number, date=date.isoformat(), language=_plain(code), topic=topic,
                            time=f'time: "{time:%H:%M}"\n' if time else "")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise NewDigestError(f"{path} already exists; it was left as it is") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def _plain(code: str) -> str:
    """Return `code` as YAML reads it back as that text: quoted where YAML 1.1 reads a word as a boolean (no, on)."""
    return code if isinstance(yaml.safe_load(f"x: {code}")["x"], str) else f'"{code}"'
