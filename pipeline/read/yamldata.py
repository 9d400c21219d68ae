"""Read YAML into plain values that remember where each came from.

Only the safe core of YAML is accepted: mappings, sequences and scalars with
the standard tags. Anchors and aliases (the "billion laughs" bomb), Python
tags and duplicate keys are refused with a Diagnostic at their line.
"""
from __future__ import annotations

import pathlib
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from pipeline.model.diagnostics import Diagnostic, Location, error
from pipeline.read.text import character_name, decode, invisible_in_value
try:  # the C loader is several times faster; positions are the same
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_STANDARD = "tag:yaml.org,2002:"
_OCTAL = re.compile(r"[-+]?0[0-7_]+\Z")  # YAML 1.1 reads 010 as 8; a note-taker means ten
_QUOTED = re.compile(r'\s*(?:-\s+)?(?:[\w.-]+:\s+)?"')  # a line whose value starts with a double quote
MAX_DEPTH = 20  # settings and catalog nest four levels; deeper is a mistake, or an attack on the stack

Path = tuple[object, ...]


@dataclass
class YamlData:
    """A YAML document as plain values, with the location of every node."""

    value: Any
    locations: dict[Path, Location] = field(default_factory=dict)
    key_locations: dict[Path, Location] = field(default_factory=dict)
    origin: Location = field(default_factory=lambda: Location(""))
    # The words YAML 1.1 read as true or false (yes, no, on, off, y, n): where text is wanted, a
    # note-taker meant the word ('language: no' is Norwegian).
    words: dict[Path, str] = field(default_factory=dict)

    def text(self, path: Path) -> object:
        """Return the value at `path`, or the word as written where YAML read a yes/no/on/off word as a boolean."""
        value: Any = self.value
        for step in path:
            if isinstance(value, dict):
                value = value.get(step)
            elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
                value = value[step]
            else:
                return None
        if isinstance(value, bool) and path in self.words:
            return self.words[path]
        return value

    def at(self, path: Path) -> Location:
        """Return the location of the value at `path`, or of its nearest parent."""
        while path:
            if path in self.locations:
                return self.locations[path]
            path = path[:-1]
        return self.locations.get((), self.origin)

    def key_at(self, path: Path) -> Location:
        """Return the location of the key that holds `path`."""
        return self.key_locations.get(path, self.at(path))


def read_yaml_file(path: pathlib.Path, shown: str, what: str,
                   missing: Diagnostic | None = None) -> tuple[YamlData | None, list[Diagnostic]]:
    """Return the YAML document of the file `what` (e.g. "the catalog") at `path`, and its problems.

    None when the file is missing (then `missing`, if given, is the problem), unreadable, not
    text, or not YAML. `shown` is the path as the user sees it, for every location.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, [missing] if missing else []
    except OSError as exc:
        return None, [error("unreadable", f"cannot read {what}: {exc.strerror}", Location(shown))]
    text, problems = decode(raw, shown, what)
    if text is None:
        return None, problems
    data, found = load_yaml(text, shown)
    return data, problems + found


def load_yaml(text: str, path: str, first_line: int = 1) -> tuple[YamlData | None, list[Diagnostic]]:
    """Return the document in `text` (None when it is unusable) and its problems."""
    origin = Location(path, first_line, 1)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_error(exc, text, path, first_line)]
    except yaml.reader.ReaderError as exc:
        return None, [_reader_error(exc, text, path, first_line)]
    except yaml.YAMLError as exc:  # pragma: no cover - every other PyYAML error is marked
        return None, [error("yaml-syntax", f"YAML could not be read: {exc}", origin)]
    data = YamlData(None, origin=origin)
    if node is None:
        return data, []
    converter = _Converter(text, path, first_line, data)
    data.value = converter.convert(node, ())
    return data, converter.diagnostics


def _location(mark: Any, path: str, first_line: int) -> Location:
    return Location(path, mark.line + first_line, mark.column + 1)


def _syntax_error(exc: yaml.MarkedYAMLError, text: str, path: str, first_line: int) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    location = _location(mark, path, first_line) if mark else Location(path, first_line)
    problem = exc.problem or "invalid YAML"
    if exc.context:
        problem = f"{problem} ({exc.context})"
    hint = "check the indentation, quotes and colons on this line and the one before it"
    lines = text.split("\n")
    unclosed = _unclosed_quote(lines[: mark.line] if mark else lines)
    if unclosed:
        hint = f"the quote opened on line {unclosed + first_line - 1} is not closed on that line: close it, or remove it"
    if mark and mark.line < len(lines) and "\t" in lines[mark.line][: mark.column + 1]:
        hint = "YAML does not allow tabs for indentation: indent with spaces"
    elif "nesting depth" in problem:
        hint = "look for a run of '[' or '{' that is never closed"
    return error("yaml-syntax", f"YAML syntax error: {problem}", location, hint)


def _unclosed_quote(lines: list[str]) -> int:
    """Return the 1-based number of the first line whose value opens a double quote it does not close, or 0."""
    for number, line in enumerate(lines, 1):
        if _QUOTED.match(line) and (line.count('"') - line.count('\\"')) % 2:
            return number
    return 0


def _reader_error(exc: yaml.reader.ReaderError, text: str, path: str, first_line: int) -> Diagnostic:
    """Return the error for a character YAML refuses to read, at its line and column.

    The C loader counts the position in bytes of UTF-8, the Python loader in characters.
    """
    offset = exc.position if isinstance(exc.position, int) else 0
    if not (offset < len(text) and ord(text[offset]) == exc.character):
        offset = len(text.encode("utf-8")[:offset].decode("utf-8", "ignore"))
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    char = text[offset] if offset < len(text) else ""
    shown = character_name(char) if char else f"#x{exc.character:04x}"
    return error("yaml-syntax", f"YAML syntax error: the character {shown} is not allowed in YAML",
                 Location(path, first_line + line, column),
                 "delete the character: it is invisible, and usually comes with pasted text")


def _alias_locations(text: str, path: str, first_line: int) -> list[Location]:
    """Return where each alias (*name) stands, in document order."""
    return [_location(event.start_mark, path, first_line)
            for event in yaml.parse(text, Loader=_Loader) if isinstance(event, yaml.AliasEvent)]


class _Converter:
    def __init__(self, text: str, path: str, first_line: int, data: YamlData) -> None:
        self.text = text
        self.path = path
        self.first_line = first_line
        self.data = data
        self.diagnostics: list[Diagnostic] = []
        self.seen: set[int] = set()
        self.aliases: list[Location] | None = None  # where each alias stands, read when the first is met
        self.alias_count = 0
        self.alias_lines: set[int] = set()
        self.too_deep = False

    def loc(self, node: yaml.Node) -> Location:
        return _location(node.start_mark, self.path, self.first_line)

    def convert(self, node: yaml.Node, path: Path) -> Any:
        if id(node) in self.seen:
            return self.alias(node, path)
        self.data.locations[path] = self.loc(node)
        if len(path) > MAX_DEPTH:
            if not self.too_deep:
                self.too_deep = True
                self.diagnostics.append(error(
                    "yaml-depth", f"the YAML is nested more than {MAX_DEPTH} levels deep", self.loc(node),
                    "the settings use a few levels of indentation: check for a stray '[', '{' or indent"))
            return None
        self.seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            return self.convert_mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                return self.bad_tag(node)
            return [self.convert(item, path + (i,)) for i, item in enumerate(node.value)]
        value = self.scalar(node)
        if isinstance(value, bool) and node.value.lower() not in ("true", "false"):
            self.data.words[path] = node.value
        if isinstance(value, str) and node.style == '"':  # only a double-quoted scalar holds escapes
            self.diagnostics += invisible_in_value(value, self.loc(node))
        return value

    def alias(self, node: yaml.Node, path: Path) -> Any:
        """Report an alias at its own place, once a line; a scalar's value is kept, a list's or mapping's is not.

        The composed graph shares the anchored node; converting it again is how an alias bomb
        explodes. The n-th shared node met in document order is the n-th alias event.
        """
        if self.aliases is None:
            self.aliases = _alias_locations(self.text, self.path, self.first_line)
        location = self.aliases[self.alias_count] if self.alias_count < len(self.aliases) else self.loc(node)
        self.alias_count += 1
        self.data.locations[path] = location
        if location.line not in self.alias_lines:
            self.alias_lines.add(location.line)
            self.diagnostics.append(error(
                "yaml-alias", "YAML anchors and aliases are not allowed", location,
                "write the value out in full instead of referring to an anchor (&name / *name)"))
        return self.scalar(node) if isinstance(node, yaml.ScalarNode) else None

    def scalar(self, node: yaml.Node) -> Any:
        if node.tag not in _SCALAR_TAGS:
            return self.bad_tag(node)
        if node.tag == "tag:yaml.org,2002:timestamp" or (node.tag == "tag:yaml.org,2002:int" and ":" in node.value):
            # Dates are checked by whoever reads them, with exact messages; 17:30 is a time, not
            # YAML 1.1's base-60 integer 1050.
            return node.value
        if node.tag == "tag:yaml.org,2002:float" and node.value.lower().lstrip("+-") in (".inf", ".nan"):
            self.diagnostics.append(error(
                "yaml-number", f"'{node.value}' is YAML for an infinity or not-a-number, which no setting takes",
                self.loc(node), "write a plain number, or put the value in quotes if it is text"))
            return None
        if node.tag == "tag:yaml.org,2002:float" and ":" in node.value:
            return node.value  # YAML 1.1's base-60 float: text, as the time 17:30 is
        if node.tag == "tag:yaml.org,2002:int" and _OCTAL.match(node.value):
            return int(node.value.replace("_", ""))
        constructor = yaml.SafeLoader.yaml_constructors[node.tag]
        try:
            return constructor(_ScalarLoader, node)
        except (ValueError, yaml.YAMLError):
            return node.value

    def convert_mapping(self, node: yaml.MappingNode, path: Path) -> Any:
        if node.tag != _MAP:
            return self.bad_tag(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.diagnostics.append(error(
                    "yaml-key", "a mapping key must be a plain word", self.loc(key_node),
                    "write keys as simple words followed by a colon"))
                continue
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.diagnostics.append(error(
                    "yaml-alias", "YAML merge keys ('<<') are not allowed", self.loc(key_node),
                    "write the keys out in full"))
                continue
            key = key_node.value
            if key in result:
                first = self.data.key_locations[path + (key,)]
                self.diagnostics.append(error(
                    "duplicate-key", f"key '{key}' appears twice (first on line {first.line})",
                    self.loc(key_node), "keep one of the two and delete the other"))
                continue
            self.data.key_locations[path + (key,)] = self.loc(key_node)
            result[key] = self.convert(value_node, path + (key,))
        return result

    def bad_tag(self, node: yaml.Node) -> None:
        written = "!!" + node.tag[len(_STANDARD):] if node.tag.startswith(_STANDARD) else node.tag
        self.diagnostics.append(error(
            "yaml-tag", f"YAML tag '{written}' is not allowed", self.loc(node),
            "remove the '!' tag: only plain values, lists and mappings are read"))
        return None


class _ScalarLoader:
    """Stands in for a loader: SafeConstructor's scalar methods only call this."""

    @staticmethod
    def construct_scalar(node: yaml.ScalarNode) -> str:
        return str(node.value)

    bool_values = yaml.constructor.SafeConstructor.bool_values


_TYPE_NAMES = {str: "text", int: "a whole number", bool: "true or false", list: "a list", dict: "a mapping"}


def type_name(value: object) -> str:
    """Return how a user would call the type of `value`."""
    if value is None:
        return "nothing"
    for kind, name in _TYPE_NAMES.items():
        if type(value) is kind:
            return name
    return type(value).__name__


def check_keys(data: YamlData, path: Path, allowed: tuple[str, ...], required: tuple[str, ...] = (),
               what: str = "") -> list[Diagnostic]:
    """Return errors for unknown and missing keys of the mapping at `path`."""
    import difflib

    mapping = data.value
    for step in path:
        mapping = mapping[step]  # type: ignore[index]
    found: list[Diagnostic] = []
    where = f" in {what}" if what else ""
    for key in mapping:
        if key in allowed:
            continue
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else "allowed keys: " + ", ".join(allowed)
        found.append(error("unknown-key", f"unknown key '{key}'{where}", data.key_at(path + (key,)), hint))
    for key in required:
        if key not in mapping or mapping[key] is None:
            location = data.key_at(path + (key,)) if key in mapping else data.at(path)
            found.append(error("missing-key", f"required key '{key}' is missing{where}", location,
                               f"add a line '{key}: …'"))
    return found


def expect(data: YamlData, path: Path, kind: type | tuple[type, ...], expected: str,
           hint: str = "") -> Diagnostic | None:
    """Return an error when the value at `path` is not of `kind` (bool is never an int)."""
    value = data.value
    for step in path:
        value = value[step]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
    if ok:
        return None
    name = ".".join(str(step) for step in path)
    if value is None:
        return error("wrong-type", f"'{name}' is empty; it must be {expected}", data.at(path),
                     hint or "write the value after the colon, on the same line")
    return error("wrong-type", f"'{name}' must be {expected}, not {type_name(value)} ({value!r})",
                 data.at(path), hint)
