"""`clinics new`: start a digest file with its front matter filled in; never overwrite one."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import yaml

from pipeline.model.diagnostics import ClinicsError
from pipeline.read.schedule import load_schedule
from pipeline.read.settings import load_site
from pipeline.read.source import LANGUAGE_PART, load_source
from pipeline.read.translation import content_hash

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
    return _write_new(path, text)


def _write_new(path: Path, text: str) -> Path:
    """Write `text` to the new file `path`, never over an existing one; return `path`."""
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


_TRANSLATION_KEYS = ("language", "call_language", "status", "translated_from", "source_version")


def new_translation(folder: Path, number_text: str, language: str | None, source_language: str) -> Path:
    """Write NNN.LANG.md, a translation of call `number_text`'s version in `source_language`, and return its path.

    It starts as a copy of the source, its front matter with `language`, `status: draft`,
    `translated_from` and `source_version` (the source's content hash, which `check` compares
    with the source's later to say when the translation is outdated).
    """
    if not number_text.isdigit() or not 1 <= int(number_text) <= 999_999:
        raise NewDigestError(f"'{number_text}' is not a call number (001, 012, 1000 …)")
    number = int(number_text)
    site, _ = load_site(folder / "site.yaml")
    if site is None:
        raise NewDigestError(f"{folder / 'site.yaml'} has errors; run `clinics check` first")
    if language is None:
        raise NewDigestError("say which language the translation is in: --lang en")
    for code in (language, source_language):
        if not LANGUAGE_PART.match(code) or code not in site.languages:
            raise NewDigestError(f"language '{code}' is not in {folder / 'site.yaml'} "
                                 f"(known: {', '.join(site.languages)})")
    if language == source_language:
        raise NewDigestError(f"a translation from '{source_language}' into '{language}' is the same language")
    source_path, front = _source_version(folder, number, source_language, site.default_language)
    source, problems = load_source(source_path, str(source_path))
    version = content_hash(source_path)
    if source is None or version is None:
        raise NewDigestError(f"{source_path} cannot be read; run `clinics check`")
    call_language = front.get("call_language") or front.get("language") or site.default_language
    kept = [line for line in source.front_matter.splitlines()
            if not any(line.startswith(f"{key}:") for key in _TRANSLATION_KEYS)]
    lines = [*kept, f"language: {_plain(language)}", f"call_language: {_plain(str(call_language))}",
             "status: draft         # change to final when the translation is ready to publish",
             f"translated_from: {_plain(source_language)}",
             f"source_version: {version}  # the notes of {source_path.name} this translates; `check` says when they change"]
    text = "---\n" + "\n".join(lines) + "\n---\n" + source.body
    path = folder / f"{number:03d}.{language}.md"
    return _write_new(path, text)


def _source_version(folder: Path, number: int, code: str, default: str) -> tuple[Path, dict[str, object]]:
    """Return the file of call `number` in language `code`, and its front matter as read."""
    for path in (folder / f"{number:03d}.{code}.md", folder / f"{number:03d}.md"):
        if not path.is_file():
            continue
        source, _ = load_source(path, str(path))
        try:
            front = yaml.safe_load(source.front_matter) if source else None
        except yaml.YAMLError:
            front = None
        if not isinstance(front, dict):
            raise NewDigestError(f"the front matter of {path} cannot be read; run `clinics check`")
        if path.name.count(".") == 2 or str(front.get("language") or default) == code:
            return path, front
    raise NewDigestError(f"call {number:03d} has no version in '{code}' in {folder}")
