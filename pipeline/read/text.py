"""Bytes -> text: UTF-8 only, in NFC, line endings made "\\n", invisible characters refused or warned about.

Every file the pipeline reads (a digest, site.yaml, the catalog, the schedule) is decoded here,
so that each gets the same limits and the same located errors.
"""
from __future__ import annotations

import dataclasses
import re
import unicodedata

from pipeline.model.diagnostics import Diagnostic, Location, error, warning

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


def unix_lines(text: str) -> str:
    """Return `text` with its line endings made "\n"."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normal(text: str) -> str:
    """Return decoded `text` as every output needs it: without a byte-order mark, lines ending "\n", in NFC.

    Some editors (on macOS, mostly) save letters decomposed: "e" and a combining accent for "é".
    MediaWiki stores every page in NFC and compares the md5 of the text it stored, so a page saved from
    decomposed text could never be published; mail readers and search compare NFC too.
    """
    return unicodedata.normalize("NFC", unix_lines(text.removeprefix("\ufeff")))


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
        problems.append(warning("bom", "the file starts with a byte-order mark (BOM), which is ignored",
                                Location(display, 1, 1), "save the file as UTF-8 without BOM"))
    text = normal(text)
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


VALUE_PROBLEMS = frozenset({"control-char", "nul-byte", "bidi-control"})  # what invisible_in_value finds


def invisible_in_value(value: str, location: Location) -> list[Diagnostic]:
    """Return for a value a YAML escape wrote ("\\x1b", "\\u202e") the error or warning its characters typed would get."""
    problems = []
    for pattern, make in ((_CONTROL, _control_error), (_BIDI, _bidi_warning)):
        found = pattern.findall(value)
        if found:
            problem = make(found[0], len(found), location)
            problems.append(dataclasses.replace(problem, message=problem.message.replace(
                "the file contains", "this value holds, written as an escape,"),
                hint="delete the escape (\\x.., \\u.... or \\0) from the quoted value"))
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
