"""Read a digest file: decode it, split the YAML front matter from the body, keep line offsets."""
from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pipeline.model.diagnostics import Diagnostic, Location, error, warning

LANGUAGE_PART = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})?\Z")
# Three digits, zero-padded ("006"); a call from 1000 on has as many digits as it needs ("1000").
NAME = re.compile(r"(?P<number>[0-9]{3}|[1-9][0-9]{3,5})(?:\.(?P<language>[a-z]{2,3}(?:-[a-z0-9]{2,8})?))?\.md\Z")
_FENCE = "---"
# A digest is a few KB. 200 KB (some fifty times the longest) refuses a pasted log or
# a binary file before any parser sees it, and keeps the slowest check of any input under a second.
MAX_BYTES = 200_000
# Invisible characters that no note needs and that change what a line means to some reader:
# C0 and C1 controls (tab and newline excepted), and the Unicode line and paragraph separators,
# which some programs break lines at and others do not.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# Explicit direction embeddings, overrides and isolates: legitimate in mixed-direction text,
# but an unbalanced one turns the rest of a line around ("Trojan Source").
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_CONTROL_NAMES = {
    "\x00": "NUL", "\x07": "BELL", "\x08": "BACKSPACE", "\x0b": "VERTICAL TAB", "\x0c": "FORM FEED",
    "\x1b": "ESCAPE", "\x7f": "DELETE", "\x85": "NEXT LINE",
}


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
    names = sorted(entry.name for entry in os.scandir(folder) if entry.name.endswith(".md") and entry.is_file())
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
    source, _ = split(_lines(raw.decode("utf-8").removeprefix("\ufeff")), display, int(match["number"]),
                      match["language"], digest, [])
    return source


def _lines(text: str) -> str:
    """Return `text` with its line endings made "\n"."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode(raw: bytes, display: str, what: str = "a digest") -> tuple[str | None, list[Diagnostic]]:
    """Return the UTF-8 text of `raw` (`what` the file is) with line endings made "\\n", or None and the problem."""
    problems: list[Diagnostic] = []
    if len(raw) > MAX_BYTES:
        return None, [error("too-large", f"the file is {len(raw):,} bytes; {what} may be at most "
                            f"{MAX_BYTES:,}", Location(display),
                            "a digest is an edited summary: shorten it, or split the call's notes"
                            if what == "a digest" else "check that this is the right file")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        # Editors count columns in characters: decode what precedes the bad byte on its line.
        column = len(raw[line_start:exc.start].decode("utf-8", errors="replace")) + 1
        return None, [error("not-utf8", f"the file is not UTF-8: byte 0x{raw[exc.start]:02x} at offset "
                            f"{exc.start} cannot be decoded", Location(display, line, column),
                            "save the file as UTF-8 (in most editors: Save As… > Encoding > UTF-8)")]
    if text.startswith("\ufeff"):
        text = text[1:]
        problems.append(warning("bom", "the file starts with a byte-order mark (BOM), which is ignored",
                                Location(display, 1, 1), "save the file as UTF-8 without BOM"))
    text = _lines(text)
    problems += invisible_characters(text, display)
    if any(p.code in ("control-char", "nul-byte") for p in problems):
        return None, problems
    return text, problems


def invisible_characters(text: str, display: str) -> list[Diagnostic]:
    """Return an error for control characters and a warning for direction overrides in `text`."""
    problems = []
    for pattern, make in ((_CONTROL, _control_error), (_BIDI, _bidi_warning)):
        found = pattern.search(text)
        if found is None:
            continue
        offset = found.start()
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        count = len(pattern.findall(text))
        problems.append(make(found.group(), count, Location(display, line, column)))
    return problems


def character_name(char: str) -> str:
    """Return 'U+001B (ESCAPE)': the code point of `char` and its name, for a message."""
    name = _CONTROL_NAMES.get(char) or unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def _more(count: int) -> str:
    return f" and {count - 1} more like it" if count > 1 else ""


def _control_error(char: str, count: int, location: Location) -> Diagnostic:
    more = _more(count)
    if char == "\0":
        return error("nul-byte", f"the file contains a NUL byte{more.replace(' it', ' them')}", location,
                     "this is usually a binary file or a broken paste: delete the character")
    return error("control-char", f"the file contains the invisible control character {character_name(char)}"
                 f"{more}; only text, tabs and line breaks are allowed", location,
                 "delete the character (it usually comes with text pasted from a terminal or a PDF); "
                 "for a new line, press Enter")


def _bidi_warning(char: str, count: int, location: Location) -> Diagnostic:
    more = _more(count)
    return warning("bidi-control", f"the file contains the invisible direction control {character_name(char)}"
                   f"{more}, which can turn the rest of a line around in the emails and on the wiki",
                   location, "delete it unless the text needs it; right-to-left letters need no control "
                   "characters")


def shown(text: str, limit: int = 60) -> str:
    """Return `text` as a message quotes it: invisible characters spelled out, long text shortened."""
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return "".join(f"\\u{ord(c):04x}" if _invisible(c) else c for c in text)


def _invisible(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") or (
        char.isspace() and char != " ")


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
