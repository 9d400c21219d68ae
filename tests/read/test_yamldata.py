"""The schema layer under the settings and the catalog (read/yamldata.py), on its own (`make mutate MODULE=schema`):
values and where they stand, the checks of keys and types, and every YAML construct that is refused.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.model.diagnostics import Location
from pipeline.read import yamldata
from pipeline.read.yamldata import MAX_DEPTH, YamlData, check_keys, expect, load_yaml, read_yaml_file, type_name


def load(text: str, first_line: int = 1) -> tuple[YamlData, list[str]]:
    data, problems = load_yaml(text, "s.yaml", first_line)
    assert data is not None, [p.format() for p in problems]
    return data, [p.format() for p in problems]


def problems_of(text: str, first_line: int = 1) -> list[str]:
    return [p.format() for p in load_yaml(text, "s.yaml", first_line)[1]]


# ------------------------------------------------------------------ values and locations

def test_values_and_where_they_stand() -> None:
    data, problems = load("a:\n  b: [1, two]\n  c: {d: 2.5}\nflag: true\nnothing:\n", first_line=3)
    assert problems == []
    assert data.value == {"a": {"b": [1, "two"], "c": {"d": 2.5}}, "flag": True, "nothing": None}
    assert data.at(()) == Location("s.yaml", 3, 1)
    assert data.at(("a", "b", 1)) == Location("s.yaml", 4, 10)
    assert data.key_at(("a", "c")) == Location("s.yaml", 5, 3)
    assert data.at(("a", "c", "missing", "deeper")) == Location("s.yaml", 5, 6)
    assert data.key_at(("a", "zz")) == data.at(("a",)) == Location("s.yaml", 4, 3)
    assert data.origin == Location("s.yaml", 3, 1)


def test_an_empty_document() -> None:
    data, problems = load("# only a comment\n", first_line=7)
    assert problems == [] and data.value is None
    assert data.at(("x",)) == Location("s.yaml", 7, 1)


def test_text_walks_mappings_and_lists() -> None:
    data, _ = load("- [a, b]\n- k: v\n")
    assert data.text((0, 1)) == "b" and data.text((1, "k")) == "v"
    for path in ((0, 2), (0, -1), (0, "x"), (1, 0), (2,), (1, "k", "deeper")):
        assert data.text(path) is None, path
    assert data.text(()) == [["a", "b"], {"k": "v"}]


@pytest.mark.parametrize("written, value", [
    ("010", 10), ("-010", -10), ("0_10", 10), ("0x1f", 31), ("10", 10), ("1_000", 1000),
    ("17:30", "17:30"), ("1:30:00.5", "1:30:00.5"), ("2026-01-01", "2026-01-01"),
    ("2026-01-01 10:00:00", "2026-01-01 10:00:00"),
    ("1.5", 1.5), ("'010'", "010"), ("yes", True), ("Off", False), ("~", None), ("null", None),
    ("0b101", 5), ("08", "08"), ("0o10", "0o10"), ("1e3", "1e3"), ("1.0e+3", 1000.0),
])
def test_scalars_as_a_note_taker_means_them(written: str, value: object) -> None:
    data, problems = load(f"v: {written}\n")
    assert problems == [] and data.value["v"] == value and type(data.value["v"]) is type(value)


@pytest.mark.parametrize("written", [".inf", "-.inf", "+.INF", ".nan", ".NaN"])
def test_infinity_and_not_a_number_are_refused(written: str) -> None:
    data, problems = load(f"v: {written}\n")
    assert data.value == {"v": None}
    assert problems == [f"s.yaml:1:4: error[yaml-number]: '{written}' is YAML for an infinity or not-a-number, "
                        "which no setting takes\n  hint: write a plain number, or put the value in quotes if it "
                        "is text"]


def test_yes_no_words_are_kept_as_written() -> None:
    data, _ = load("a: yes\nb: true\nc: [no, False]\n")
    assert data.words == {("a",): "yes", ("c", 0): "no"}
    assert data.text(("a",)) == "yes" and data.text(("b",)) is True and data.text(("c", 1)) is False


# ------------------------------------------------------------------ what is refused

def test_anchors_and_aliases_are_reported_where_each_alias_stands() -> None:
    data, problems = load("a: &x [1]\nb: *x\nc: &y v\nd: *y\ne: [*y, *y]\n")
    hint = "\n  hint: write the value out in full instead of referring to an anchor (&name / *name)"
    assert problems == [f"s.yaml:{line}:{column}: error[yaml-alias]: YAML anchors and aliases are not allowed{hint}"
                        for line, column in ((2, 4), (4, 4), (5, 5))]
    assert data.value == {"a": [1], "b": None, "c": "v", "d": "v", "e": ["v", "v"]}
    assert data.at(("e", 1)) == Location("s.yaml", 5, 9) and data.at(("d",)) == Location("s.yaml", 4, 4)


def test_a_document_nested_too_deep_is_reported_once() -> None:
    deep = ("a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
            "b: " + "[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2))
    data, problems = load(deep + "\n")
    assert problems == [f"s.yaml:1:{MAX_DEPTH + 4}: error[yaml-depth]: the YAML is nested more than {MAX_DEPTH} "
                        "levels deep\n  hint: the settings use a few levels of indentation: check for a stray '[', "
                        "'{' or indent"]
    exact = "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"
    assert load(exact)[1] == []


@pytest.mark.parametrize("text, problem", [
    ("a: !!python/name:os.system x\n", "1:4: error[yaml-tag]: YAML tag '!!python/name:os.system' is not allowed"),
    ("a: !custom x\n", "1:4: error[yaml-tag]: YAML tag '!custom' is not allowed"),
    ("a: !!binary aGk=\n", "1:4: error[yaml-tag]: YAML tag '!!binary' is not allowed"),
    ("a: !!set {x}\n", "1:4: error[yaml-tag]: YAML tag '!!set' is not allowed"),
    ("a: !!omap [x: 1]\n", "1:4: error[yaml-tag]: YAML tag '!!omap' is not allowed"),
])
def test_tags_are_refused(text: str, problem: str) -> None:
    data, problems = load(text)
    assert problems == [f"s.yaml:{problem}\n  hint: remove the '!' tag: only plain values, lists and mappings are read"]
    assert data.value == {"a": None}


def test_keys_that_are_not_plain_words_merge_keys_and_duplicates() -> None:
    data, problems = load("? [a, b]\n: 1\nbase: {x: 1}\n<<: {y: 2}\nk: 1\nk: 2\n")
    assert problems == [
        "s.yaml:1:3: error[yaml-key]: a mapping key must be a plain word\n"
        "  hint: write keys as simple words followed by a colon",
        "s.yaml:4:1: error[yaml-alias]: YAML merge keys ('<<') are not allowed\n  hint: write the keys out in full",
        "s.yaml:6:1: error[duplicate-key]: key 'k' appears twice (first on line 5)\n"
        "  hint: keep one of the two and delete the other"]
    assert data.value == {"base": {"x": 1}, "k": 1}


def test_escapes_in_double_quotes_are_checked_as_typed_characters() -> None:
    data, problems = load('a: "x\\x1by"\nb: \'x\\x1by\'\n')
    assert len(problems) == 1 and problems[0].startswith("s.yaml:1:4: error[")
    assert data.value["b"] == "x\\x1by"


@pytest.mark.parametrize("text, problem, hint", [
    ("a: [1, 2\n", "YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence)",
     "check the indentation, quotes and colons on this line and the one before it"),
    ('a: "open\nb: 1\n', "YAML syntax error: found unexpected end of stream (while scanning a quoted scalar)",
     "the quote opened on line 10 is not closed on that line: close it, or remove it"),
    ("a:\n\tb: 1\n", "YAML syntax error: found character that cannot start any token (while scanning for the next "
                     "token)", "YAML does not allow tabs for indentation: indent with spaces"),
])
def test_syntax_errors_say_where_and_how_to_mend(text: str, problem: str, hint: str) -> None:
    data, problems = load_yaml(text, "s.yaml", 10)
    assert data is None and len(problems) == 1
    assert problems[0].message == problem and problems[0].hint == hint
    assert problems[0].location.path == "s.yaml" and problems[0].location.line >= 10


@pytest.mark.parametrize("loader", [yaml.CSafeLoader, yaml.SafeLoader], ids=["C", "Python"])
@pytest.mark.parametrize("before, column", [("d", 5), ("dé\ue000", 7), ("日本", 6)])
def test_a_character_yaml_refuses_is_placed_after_any_character(monkeypatch: pytest.MonkeyPatch, loader: type,
                                                                  before: str, column: int) -> None:
    # The C loader counts its position in bytes of UTF-8, the Python loader in characters.
    monkeypatch.setattr(yamldata, "_Loader", loader)
    data, problems = load_yaml(f"a: b\nc: {before}\ufffe\n", "s.yaml", 5)
    assert data is None
    assert [p.format() for p in problems] == [
        f"s.yaml:6:{column}: error[yaml-syntax]: YAML syntax error: the character U+FFFE is not allowed in YAML\n"
        "  hint: delete the character: it is invisible, and usually comes with pasted text"]


# ------------------------------------------------------------------ files

def test_files_missing_unreadable_and_not_text(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    missing = load_yaml("", "x")[1]
    assert read_yaml_file(path, "digests/site.yaml", "the settings") == (None, missing)
    from pipeline.model.diagnostics import error
    problem = error("missing-file", "no settings", Location("digests/site.yaml"))
    assert read_yaml_file(path, "digests/site.yaml", "the settings", problem) == (None, [problem])
    path.mkdir()
    data, problems = read_yaml_file(path, "digests/site.yaml", "the settings")
    assert data is None and [p.format() for p in problems] == [
        "digests/site.yaml: error[unreadable]: cannot read the settings: Is a directory"]
    path.rmdir()
    path.write_bytes(b"a: caf\xe9\n")
    data, problems = read_yaml_file(path, "digests/site.yaml", "the settings")
    assert data is None and [p.code for p in problems] == ["not-utf8"]
    path.write_text("a: [\n", encoding="utf-8")
    data, problems = read_yaml_file(path, "digests/site.yaml", "the settings")
    assert data is None and [p.code for p in problems] == ["yaml-syntax"]
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    data, problems = read_yaml_file(path, "digests/site.yaml", "the settings")
    assert data is not None and data.value == {"a": 1} and [p.code for p in problems] == ["duplicate-key"]


# ------------------------------------------------------------------ the schema checks

@pytest.mark.parametrize("value, name", [
    (None, "nothing"), ("x", "text"), (3, "a whole number"), (True, "true or false"), ([1], "a list"),
    ({"a": 1}, "a mapping"), (1.5, "float"),
])
def test_type_names_a_user_knows(value: object, name: str) -> None:
    assert type_name(value) == name


def test_unknown_and_missing_keys() -> None:
    data, _ = load("top:\n  nmae: x\n  colour: red\n  empty:\n  kind: tool\n")
    found = check_keys(data, ("top",), ("name", "kind", "empty", "url"), ("name", "empty", "kind"), "an entry")
    assert [p.format() for p in found] == [
        "s.yaml:2:3: error[unknown-key]: unknown key 'nmae' in an entry\n  hint: did you mean 'name'?",
        "s.yaml:3:3: error[unknown-key]: unknown key 'colour' in an entry\n"
        "  hint: allowed keys: name, kind, empty, url",
        "s.yaml:2:3: error[missing-key]: required key 'name' is missing in an entry\n  hint: add a line 'name: …'",
        "s.yaml:4:3: error[missing-key]: required key 'empty' is missing in an entry\n  hint: add a line 'empty: …'"]
    data, _ = load("a: 1\n")
    assert [p.format() for p in check_keys(data, (), ("a", "b"), ("b",))] == [
        "s.yaml:1:1: error[missing-key]: required key 'b' is missing\n  hint: add a line 'b: …'"]
    assert check_keys(data, (), ("a",), ("a",)) == []


def test_expect_a_type() -> None:
    data, _ = load("n: 3\nb: true\ns: x\ne:\nl: [1]\n")
    assert expect(data, ("n",), int, "a whole number") is None
    assert expect(data, ("l",), (list, dict), "a list") is None
    assert expect(data, ("b",), (int, bool), "a number or true/false") is None
    found = expect(data, ("b",), int, "a whole number", "write 587")
    assert found is not None and found.format() == (
        "s.yaml:2:4: error[wrong-type]: 'b' must be a whole number, not true or false (True)\n  hint: write 587")
    found = expect(data, ("s",), int, "a whole number")
    assert found is not None
    assert found.format() == "s.yaml:3:4: error[wrong-type]: 's' must be a whole number, not text ('x')"
    found = expect(data, ("e",), str, "text")
    assert found is not None and found.format() == (
        "s.yaml:4:3: error[wrong-type]: 'e' is empty; it must be text\n"
        "  hint: write the value after the colon, on the same line")
    found = expect(data, ("e",), str, "text", "a hint of its own")
    assert found is not None and found.hint == "a hint of its own"
    data, _ = load("a:\n  - x: 1\n")
    found = expect(data, ("a", 0, "x"), str, "text")
    assert found is not None and found.message == "'a.0.x' must be text, not a whole number (1)"


@pytest.mark.parametrize("text, hint", [
    ("a:\n \tb: 1\n", "YAML does not allow tabs for indentation: indent with spaces"),  # the tab at the error
    ("a: @\tb\n", "check the indentation, quotes and colons on this line and the one before it"),  # after it
    ("a: b: c\nd: \"open\n", "check the indentation, quotes and colons on this line and the one before it"),
])
def test_a_hint_looks_at_the_error_s_place_and_what_comes_before(text: str, hint: str) -> None:
    data, problems = load_yaml(text, "s.yaml")
    assert data is None and [p.hint for p in problems] == [hint]


@pytest.mark.parametrize("loader", [yaml.CSafeLoader, yaml.SafeLoader], ids=["C", "Python"])
@pytest.mark.parametrize("text, where", [
    ("\nc: \ufffe", "3:4"), ("a: \u00e9\ufffe", "2:5"), ("\ufffe", "2:1"), ("\n\n\ufffe\n", "4:1"),
])
def test_where_a_refused_character_stands(monkeypatch: pytest.MonkeyPatch, loader: type, text: str,
                                          where: str) -> None:
    monkeypatch.setattr(yamldata, "_Loader", loader)
    assert [p.format().split(": error")[0] for p in load_yaml(text, "s.yaml", 2)[1]] == [f"s.yaml:{where}"]


@pytest.mark.parametrize("text, hint", [
    ('a: "x\\" y\nb: 1\n', "the quote opened on line 1 is not closed on that line: close it, or remove it"),
    ('a: "x"\nb: [\n', "check the indentation, quotes and colons on this line and the one before it"),
    ('a: 5 "inch\nb: [\n', "check the indentation, quotes and colons on this line and the one before it"),
    ('- "a" "b" "c\n- d\n', "the quote opened on line 1 is not closed on that line: close it, or remove it"),
])
def test_which_quote_is_left_open(text: str, hint: str) -> None:
    data, problems = load_yaml(text, "s.yaml")
    assert data is None and [p.hint for p in problems] == [hint]


def test_a_character_typed_is_reported_once_and_an_escape_once(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text('a: x\u202ey\nb: "x\\u202ey"\n', encoding="utf-8")
    data, problems = read_yaml_file(path, "s.yaml", "the settings")
    assert data is not None and [(p.code, p.location.line) for p in problems] == [("bidi-control", 1),
                                                                                  ("bidi-control", 2)]
    assert "written as an escape" in problems[1].message and "written as an escape" not in problems[0].message


def test_keys_after_a_duplicate_are_read() -> None:
    data, problems = load("k: 1\nk: 2\nm: 3\n")
    assert data.value == {"k": 1, "m": 3} and len(problems) == 1


def test_a_file_too_large_names_what_it_is(tmp_path: Path) -> None:
    from pipeline.read.text import MAX_BYTES

    path = tmp_path / "site.yaml"
    path.write_bytes(b"#" * (MAX_BYTES + 1))
    data, problems = read_yaml_file(path, "digests/site.yaml", "the settings")
    assert data is None and [p.code for p in problems] == ["too-large"]
    assert f"the settings may be at most {MAX_BYTES:,}" in problems[0].message
