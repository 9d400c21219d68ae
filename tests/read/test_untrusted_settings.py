"""Settings and sources that YAML or the file system would read otherwise than the note-taker meant."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import digest_text, run_cli
from pipeline.model.catalog import Catalog
from pipeline.model.digest import CatalogEntry
from pipeline.scaffold import _plain


@pytest.mark.parametrize("code", ["no", "yes", "on", "off", "y", "n", "true", "null", "es", "en", "ru", "zh-hans"])
def test_new_writes_a_language_code_that_yaml_reads_back_as_that_code(code: str) -> None:
    assert yaml.safe_load(f"language: {_plain(code)}")["language"] == code
    assert _plain("es") == "es" and _plain("no") == '"no"'


def test_a_dangling_link_among_the_digests_is_reported(scratch: Path) -> None:
    (scratch / "001.md").write_text(digest_text(1, ""), encoding="utf-8")
    (scratch / "002.md").symlink_to(scratch / "gone" / "002.md")
    result = run_cli("check", "--digests", scratch, "--today", "2026-01-01", cwd=scratch.parent)
    assert result.status == 1
    assert "digests/002.md: error[unreadable]: cannot read the file: No such file or directory" in result.err


def entries(count: int) -> Catalog:
    found = tuple(CatalogEntry(f"tool-{i}", f"Tool number {i}", (f"T{i}",), "A tool.", "tool",
                               f"https://t.example.org/{i}", "") for i in range(count))
    catalog = Catalog(found)
    for entry in found:
        for label in (entry.id, entry.name, *entry.aliases):
            catalog.index[label.casefold()] = entry
    return catalog


def test_suggestions_find_the_near_entry_in_a_large_catalog() -> None:
    catalog = entries(1000)
    assert catalog.suggest("Tool numbr 417").startswith("did you mean 'tool-417'")  # the nearest first
    assert catalog.suggest("Too1 number 417").startswith("did you mean 'tool-417'")
    assert catalog.suggest("something else entirely") == (
        "add an entry to the catalog, or define the link in the digest: [label]: https://…")


def test_each_label_is_suggested_for_once() -> None:
    catalog = entries(50)
    first = catalog.suggest("Tool numbr 7")
    catalog.index.clear()  # a second answer for the same label comes from the memo, not from the index
    assert catalog.suggest("tool  NUMBR 7") == first


def test_a_yes_no_word_is_read_as_written_where_text_is_wanted() -> None:
    from pipeline.read.yamldata import load_yaml

    data, problems = load_yaml("- language: no\n  note: On\n- language: es\n- language: false\n", "s.yaml")
    assert problems == [] and data is not None
    assert data.text((0, "language")) == "no" and data.text((0, "note")) == "On"
    assert data.text((1, "language")) == "es" and data.text((2, "language")) is False  # 'false' means false
    assert data.value[0]["language"] is False  # where a boolean is wanted, YAML's reading stands
    assert data.text((5, "language")) is None


@pytest.mark.parametrize("value", ["big", "0", "true", "2.5"])
def test_max_page_kib_is_a_whole_number_of_kibibytes(example: Path, value: str) -> None:
    site = example / "site.yaml"
    site.write_text(site.read_text(encoding="utf-8").replace(
        "  password_env: CLINICS_WIKI_PASSWORD\n", f"  password_env: CLINICS_WIKI_PASSWORD\n  max_page_kib: {value}\n"),
        encoding="utf-8")
    result = run_cli("check", "--digests", example)
    assert result.status == 1 and "error[wrong-type]: 'wiki.max_page_kib' must be a whole number of kibibytes" in result.err
