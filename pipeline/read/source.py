"""Read a digest file: decode it, split the YAML front matter from the body, keep line offsets."""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.model.diagnostics import Diagnostic, Location, error
from pipeline.read.text import decode, normal

LANGUAGE_PART = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})?\Z")
# Three digits, zero-padded ("006"); a call from 1000 on has as many digits as it needs ("1000").
NAME = re.compile(r"(?P<number>[0-9]{3}|[1-9][0-9]{3,5})(?:\.(?P<language>[a-z]{2,3}(?:-[a-z0-9]{2,8})?))?\.md\Z")
_FENCE = "---"


@dataclass(frozen=True)
class Source:
    """A digest file split into its front matter and body, with their first lines."""

    path: str
    front_matter: str
    front_line: int
    body: str
    body_line: int
    name_number: int
    name_language: str | None
    digest: str  # sha256 of the file's bytes

    @property
    def id(self) -> str:
        suffix = f".{self.name_language}" if self.name_language else ""
        return f"{self.name_number:03d}{suffix}"


def digest_files(folder: Path) -> list[Path]:
    """Return the Markdown files in `folder`, sorted by name; a dangling link among them too, to be reported."""
    names = sorted(entry.name for entry in os.scandir(folder)
                   if entry.name.endswith(".md") and (entry.is_file() or entry.is_symlink()))
    return [folder / name for name in names]


def load_source(path: Path, display: str, raw: bytes | None = None) -> tuple[Source | None, list[Diagnostic]]:
    """Return the file at `path` (whose bytes are `raw` when already read) split into front matter and body."""
    match = NAME.match(path.name)
    if not match:
        return None, [error("bad-file-name", f"'{path.name}' is not a digest file name", Location(display),
                            "name digests NNN.md or NNN.LANG.md, e.g. 006.md or 006.es.md")]
    try:
        raw = path.read_bytes() if raw is None else raw
    except OSError as exc:
        return None, [error("unreadable", f"cannot read the file: {exc.strerror}", Location(display))]
    text, problems = decode(raw, display)
    if text is None:
        return None, problems
    return split(text, display, int(match["number"]), match["language"], hashlib.sha256(raw).hexdigest(),
                 problems)


def load_known(path: Path, display: str, source_hash: str) -> Source | None:
    """Return the file at `path` split into front matter and body, if its bytes still hash to `source_hash`.

    For a file that load_source read and checked already: the checks are not made again.
    None when the file changed or is gone since.
    """
    match = NAME.match(path.name)
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    digest = hashlib.sha256(raw).hexdigest()
    if match is None or digest != source_hash:
        return None
    source, _ = split(normal(raw.decode("utf-8")), display, int(match["number"]),
                      match["language"], digest, [])
    return source


def split(text: str, display: str, number: int, language: str | None, digest: str,
          problems: list[Diagnostic]) -> tuple[Source | None, list[Diagnostic]]:
    """Return `text` split at its front matter fences."""
    lines = text.split("\n")
    if not text.strip():
        problems.append(error("empty-file", "the file is empty", Location(display, 1, 1),
                              "start with front matter between '---' lines; `clinics new` writes one"))
        return None, problems
    if lines[0].rstrip() != _FENCE:
        problems.append(error("no-front-matter", "the file does not start with front matter ('---')",
                              Location(display, 1, 1),
                              "put the call's details between two '---' lines at the top (see README.md)"))
        return None, problems
    for i in range(1, len(lines)):
        if lines[i].rstrip() == _FENCE:
            front = "\n".join(lines[1:i]) + "\n"
            body = "\n".join(lines[i + 1:])
            return Source(display, front, 2, body, i + 2, number, language, digest), problems
    problems.append(error("unterminated-front-matter", "the front matter is never closed",
                          Location(display, 1, 1), "add a line '---' after the last front-matter key"))
    return None, problems
