"""Read a digest file: decode it, split the YAML front matter from the body, keep line offsets."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .model import Diagnostic, Location, error, warning

LANGUAGE_PART = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})?\Z")
NAME = re.compile(r"(?P<number>[0-9]{3})(?:\.(?P<language>[a-z]{2,3}(?:-[a-z0-9]{2,8})?))?\.md\Z")
_FENCE = "---"
MAX_BYTES = 2_000_000  # a digest is a few KB; this refuses a pasted log before any parser sees it


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
    """Return the Markdown files in `folder`, sorted by name."""
    return sorted(p for p in folder.glob("*.md") if p.is_file())


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


def decode(raw: bytes, display: str) -> tuple[str | None, list[Diagnostic]]:
    """Return the UTF-8 text of `raw` with line endings made "\\n", or None and the problem."""
    problems: list[Diagnostic] = []
    if len(raw) > MAX_BYTES:
        return None, [error("too-large", f"the file is {len(raw):,} bytes; a digest may be at most "
                            f"{MAX_BYTES:,}", Location(display),
                            "a digest is an edited summary: shorten it, or split the call's notes")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [error("not-utf8", f"the file is not UTF-8: byte 0x{raw[exc.start]:02x} at offset "
                            f"{exc.start} cannot be decoded", Location(display, line, column),
                            "save the file as UTF-8 (in most editors: Save As… > Encoding > UTF-8)")]
    if text.startswith("\ufeff"):
        text = text[1:]
        problems.append(warning("bom", "the file starts with a byte-order mark (BOM), which is ignored",
                                Location(display, 1, 1), "save the file as UTF-8 without BOM"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    nul = text.find("\0")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        column = nul - (text.rfind("\n", 0, nul) + 1) + 1
        problems.append(error("nul-byte", "the file contains a NUL byte", Location(display, line, column),
                              "this is usually a binary file or a broken paste: delete the character"))
        return None, problems
    return text, problems


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
