"""Catalog checks pinned where mutation testing found them loose (`make mutate MODULE=catalog`): every field's
type, aliases, kinds, addresses, files that cannot be read, the index and the suggestions.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DIGESTS

from pipeline.model.catalog import Catalog, fold_label, page_url, split_prefix
from pipeline.model.digest import CatalogEntry
from pipeline.model.diagnostics import Location
from pipeline.read.catalog import cited_entries, describe, load_catalog
from pipeline.model.settings import Site
from pipeline.read.settings import load_site

ENTRY = "- id: quarry\n  name: Quarry\n  description: SQL.\n  kind: tool\n  url: https://quarry.wmcloud.org/\n"
SHOWN = "digests/catalog.yaml"


@pytest.fixture(scope="module")
def site() -> Site:
    found, problems = load_site(DIGESTS / "site.yaml")
    assert found is not None and not problems
    return found


def read(tmp_path: Path, site: Site, text: str) -> tuple[Catalog, list[str]]:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    catalog, problems = load_catalog(path, site, SHOWN)
    return catalog, [p.format() for p in problems]


def test_a_correct_entry(tmp_path: Path, site: Site) -> None:
    catalog, problems = read(tmp_path, site, ENTRY + "  aliases: [' the SQL tool ', Q]\n")
    assert problems == []
    [entry] = catalog.entries
    assert (entry.id, entry.name, entry.description, entry.kind, entry.url, entry.page, entry.aliases,
            entry.location) == ("quarry", "Quarry", "SQL.", "tool", "https://quarry.wmcloud.org/", "",
                                ("the SQL tool", "Q"), Location(SHOWN, 1, 3))
    assert catalog.path == SHOWN
    assert catalog.lookup("THE  sql tool") is catalog.entries[0] and catalog.lookup("q") is catalog.entries[0]


@pytest.mark.parametrize("key, line, column", [
    ("id", 1, 7), ("name", 2, 9), ("description", 3, 16), ("kind", 4, 9), ("url", 5, 8)])
def test_a_field_that_is_not_text(tmp_path: Path, site: Site, key: str, line: int, column: int) -> None:
    text = "".join(f"  {k}: 42\n" if k == key else f"  {k}: {v}\n" for k, v in (
        ("id", "quarry"), ("name", "Quarry"), ("description", "SQL."), ("kind", "tool"),
        ("url", "https://quarry.wmcloud.org/")))
    catalog, problems = read(tmp_path, site, "-" + text[1:])
    localised = key in ("name", "description")  # either may be given per language
    expected = f"{SHOWN}:{line}:{column}: error[wrong-type]: '{key}' must be text"
    if localised:
        expected += (", or a mapping of languages to text\n  hint: write '{key}: …' in en, or one per language: "
                     f"'{key}: {{en: …, es: …}}'").replace("{key}", key)
    assert problems == [expected]
    assert catalog.entries == ()


def test_a_page_that_is_not_text(tmp_path: Path, site: Site) -> None:
    text = ENTRY.replace("  url: https://quarry.wmcloud.org/\n", "  page: [m, Quarry]\n")
    assert read(tmp_path, site, text)[1] == [
        f"{SHOWN}:5:9: error[wrong-type]: 'page' must be text, or a mapping of languages to text\n  hint: write "
        "'page: …' in en, or one per language: 'page: {en: …, es: …}'"]


@pytest.mark.parametrize("aliases", ['"SQL"', "[SQL, ' ']", "[SQL, 3]", "{en: b}", "[SQL, '']"])
def test_aliases_must_be_a_list_of_names(tmp_path: Path, site: Site, aliases: str) -> None:
    catalog, problems = read(tmp_path, site, ENTRY + f"  aliases: {aliases}\n")
    assert problems == [f"{SHOWN}:6:12: error[wrong-type]: 'aliases' must be a list of names, or one list per "
                        "language\n  hint: write 'aliases: [T&S]' or 'aliases: {en: [T&S], es: [CyS]}'"]
    assert catalog.entries == ()


@pytest.mark.parametrize("aliases", ["[]", "", "null"])
def test_no_aliases(tmp_path: Path, site: Site, aliases: str) -> None:
    catalog, problems = read(tmp_path, site, ENTRY + f"  aliases: {aliases}\n")
    assert problems == [] and catalog.entries[0].aliases == ()


def test_an_unknown_kind_with_and_without_a_suggestion(tmp_path: Path, site: Site) -> None:
    near = read(tmp_path, site, ENTRY.replace("kind: tool", "kind: tol"))[1]
    assert near == [f"{SHOWN}:4:9: error[bad-kind]: kind 'tol' is not one of tool, page, program, group, contact"
                    "\n  hint: did you mean 'tool'?"]
    far = read(tmp_path, site, ENTRY.replace("kind: tool", "kind: zzzz"))[1]
    assert far == [f"{SHOWN}:4:9: error[bad-kind]: kind 'zzzz' is not one of tool, page, program, group, contact"]


@pytest.mark.parametrize("url", ["https://", "http://quarry.wmcloud.org/", "https://a b", "https://a\tb",
                                 "quarry.wmcloud.org", "HTTPS://quarry.wmcloud.org/"])
def test_an_address_that_is_not_https(tmp_path: Path, site: Site, url: str) -> None:
    catalog, problems = read(tmp_path, site, ENTRY.replace("https://quarry.wmcloud.org/", f'"{url}"'))
    shown = url.replace("\t", "\\t")
    assert len(problems) == 1 and problems[0].startswith(f"{SHOWN}:5:8: error[not-https]: url ")
    assert problems[0].endswith(" of 'quarry' is not an https:// address\n  hint: catalog links must use https://")
    assert url in problems[0] or shown in problems[0]
    assert catalog.entries == ()


def test_the_shortest_https_address(tmp_path: Path, site: Site) -> None:
    catalog, problems = read(tmp_path, site, ENTRY.replace("https://quarry.wmcloud.org/", "https://a"))
    assert problems == [] and catalog.entries[0].url == "https://a"


def test_two_targets_and_none(tmp_path: Path, site: Site) -> None:
    both = read(tmp_path, site, ENTRY + "  page: m:Quarry\n")[1]
    assert both == [f"{SHOWN}:1:3: error[two-targets]: entry 'quarry' has both 'url' and 'page'\n  hint: keep "
                    "exactly one target: 'url' for a web address, 'page' for a wiki page"]
    none = read(tmp_path, site, ENTRY.replace("  url: https://quarry.wmcloud.org/\n", "  url: ''\n"))[1]
    assert none == [f"{SHOWN}:1:3: error[no-target]: entry 'quarry' has neither 'url' nor 'page'\n  hint: add "
                    "'url: https://…' or 'page: \"m:Page title\"'"]


def test_a_page_becomes_its_address(tmp_path: Path, site: Site) -> None:
    text = ENTRY.replace("url: https://quarry.wmcloud.org/", "page: 'w:es:Wikipedia:Café '")
    catalog, problems = read(tmp_path, site, text)
    assert problems == []
    assert catalog.entries[0].url == "https://es.wikipedia.org/wiki/Wikipedia:Caf%C3%A9"
    assert catalog.entries[0].page == "w:es:Wikipedia:Café"  # spaces around a title are not part of it


@pytest.mark.parametrize("page, problem", [
    ("Quarry", "page 'Quarry' has no interwiki prefix"),
    ("xx:Quarry", "unknown interwiki prefix 'xx' in page 'xx:Quarry'"),
    ("'m: '", "unknown interwiki prefix 'm' in page 'm:'"),
])
def test_a_page_without_a_known_prefix(tmp_path: Path, site: Site, page: str, problem: str) -> None:
    found = read(tmp_path, site, ENTRY.replace("url: https://quarry.wmcloud.org/", f"page: {page}"))[1]
    assert found == [f"{SHOWN}:5:9: error[unknown-prefix]: {problem}\n  hint: known prefixes: "
                     + ", ".join(sorted(site.interwiki))]


def test_a_page_whose_title_mediawiki_refuses(tmp_path: Path, site: Site) -> None:
    found = read(tmp_path, site, ENTRY.replace("url: https://quarry.wmcloud.org/", "page: 'm:A [b]'"))[1]
    assert len(found) == 1 and found[0].startswith(
        f"{SHOWN}:5:9: error[bad-title]: page 'm:A [b]' of 'quarry' is no title MediaWiki takes: ")
    assert found[0].endswith("\n  hint: write the page's title as it stands on the wiki, without brackets or braces")


def test_an_entry_that_is_not_a_mapping_or_a_catalog_not_a_list(tmp_path: Path, site: Site) -> None:
    catalog, problems = read(tmp_path, site, ENTRY + "- just a name\n")
    assert problems == [f"{SHOWN}:6:3: error[wrong-type]: a catalog entry must be a mapping\n  hint: write 'id:', "
                        "'name:', 'description:', 'kind:' and 'url:' or 'page:'"]
    assert [e.id for e in catalog.entries] == ["quarry"]
    catalog, problems = read(tmp_path, site, "id: quarry\n")
    assert problems == [f"{SHOWN}:1:1: error[wrong-type]: the catalog must be a list of entries\n  hint: start "
                        "each entry with '- id: …'"]
    assert catalog == Catalog(path=SHOWN)
    assert read(tmp_path, site, "# nothing yet\n") == (Catalog(path=SHOWN), [])


def test_a_catalog_that_is_not_utf8_or_cannot_be_read(tmp_path: Path, site: Site) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_bytes(ENTRY.replace("SQL.", "S\xe9L.").encode("latin-1"))
    catalog, problems = load_catalog(path, site, SHOWN)
    assert [p.format() for p in problems] == [
        f"{SHOWN}:3:17: error[not-utf8]: the file is not UTF-8: byte 0xe9 at offset 44 cannot be decoded\n"
        "  hint: save the file as UTF-8 (in most editors: Save As… > Encoding > UTF-8)"]
    assert catalog == Catalog(path=SHOWN)
    path.unlink()
    path.mkdir()
    catalog, problems = load_catalog(path, site, SHOWN)
    assert [p.format() for p in problems] == [f"{SHOWN}: error[unreadable]: cannot read the catalog: Is a directory"]
    assert catalog == Catalog(path=SHOWN)
    path.rmdir()
    assert load_catalog(path, site) == (Catalog(path=str(path)), [])


def test_duplicate_labels(tmp_path: Path, site: Site) -> None:
    other = ENTRY.replace("id: quarry", "id: paws").replace("name: Quarry", "name: PAWS")
    text = (ENTRY + "  aliases: [quarry, Q]\n" + other + "  aliases: [q]\n"
            + other.replace("id: paws", "id: quarry").replace("name: PAWS", "name: Other"))
    catalog, problems = read(tmp_path, site, text)
    hint = "\n  hint: every id, name and alias must be unique across the catalog"
    assert problems == [f"{SHOWN}:7:3: error[duplicate-alias]: alias 'q' is already used by entry 'quarry' "
                        f"(line 1){hint}",
                        f"{SHOWN}:13:3: error[duplicate-id]: id 'quarry' is already used by entry 'quarry' "
                        f"(line 1){hint}"]
    assert [e.id for e in catalog.entries] == ["quarry", "paws", "quarry"]
    named = read(tmp_path, site, ENTRY + other.replace("name: PAWS", "name: quarry"))[1]
    assert named == [f"{SHOWN}:6:3: error[duplicate-name]: name 'quarry' is already used by entry 'quarry' "
                     f"(line 1){hint}"]


def test_cited_entries_and_the_catalog_command_s_text(tmp_path: Path, site: Site) -> None:
    text = ENTRY + ENTRY.replace("id: quarry", "id: meta").replace("name: Quarry", "name: Meta").replace(
        "kind: tool", "kind: page").replace("url: https://quarry.wmcloud.org/", "page: m:Main Page")
    catalog, problems = read(tmp_path, site, text)
    assert problems == []
    assert [e.id for e in cited_entries(catalog, ["meta", "quarry"])] == ["meta", "quarry"]
    assert describe(catalog, []) == (
        "quarry  (tool)  Quarry\n    https://quarry.wmcloud.org/\n    cited by: (no digest)\n"
        "meta  (page)  Meta\n    m:Main Page\n    https://meta.wikimedia.org/wiki/Main_Page\n"
        "    cited by: (no digest)\n")


def test_fold_label_and_prefixes(site: Site) -> None:
    assert fold_label("  The\tSQL  Tool ") == "the sql tool"
    assert fold_label("STRASSE") == fold_label("straße")
    assert split_prefix("w:es:Wikipedia:Café", site) == ("w:es", "Wikipedia:Café")
    assert split_prefix("m:Talk:X", site) == ("m", "Talk:X")
    assert split_prefix("Talk:X", site) == (None, "Talk:X")
    assert page_url("xx:Y", site) is None
    assert page_url("m: A b ", site) == "https://meta.wikimedia.org/wiki/A_b"


def test_suggestions(tmp_path: Path, site: Site) -> None:
    text = ENTRY + ENTRY.replace("id: quarry", "id: quarry-2").replace("name: Quarry", "name: Quarry two")
    catalog, _ = read(tmp_path, site, text)
    assert catalog.suggest("quary") == "did you mean 'quarry' or 'quarry-2'?"
    assert catalog.suggest("QUARY") == "did you mean 'quarry' or 'quarry-2'?"
    assert catalog.suggest("quarry tw") == "did you mean 'quarry-2' or 'quarry'?"
    assert catalog.suggest("zzz") == ("add an entry to the catalog, or define the link in the digest: "
                                      "[label]: https://…")
    assert catalog.mention_pattern is not None
    assert catalog.mention_pattern.findall("Quarry two, Quarry, Quarrying") == ["Quarry two", "Quarry"]
    assert Catalog().mention_pattern is None


def test_a_page_title_holding_a_character_reference(tmp_path: Path, site: Site) -> None:
    # MediaWiki decodes "&amp;" in a link's target, and refuses a title that still holds one: no link could reach it.
    found = read(tmp_path, site, ENTRY.replace("url: https://quarry.wmcloud.org/", "page: 'm:AT&amp;amp;T'"))[1]
    assert found == [f"{SHOWN}:5:9: error[bad-title]: page 'm:AT&amp;amp;T' of 'quarry' is no title MediaWiki takes: "
                     "MediaWiki allows no character reference ('&amp;') in a title: write the character\n"
                     "  hint: write the page's title as it stands on the wiki, without brackets or braces"]
    assert read(tmp_path, site, ENTRY.replace("url: https://quarry.wmcloud.org/", "page: 'm:AT&T'"))[1] == []


def test_the_pieces_suggestions_are_found_by() -> None:
    from pipeline.model.catalog import _pieces

    assert _pieces("ab") == {"  a", " ab", "ab "}
    assert _pieces("quarry") == {"  q", " qu", "qua", "uar", "arr", "rry", "ry "}


def test_a_page_that_is_only_a_prefix(site: Site) -> None:
    assert split_prefix("m", site) == (None, "m")
    assert split_prefix("w:es", site) == ("w", "es")


def test_a_suggestion_names_three_ids_at_most(tmp_path: Path, site: Site) -> None:
    text = "".join(ENTRY.replace("id: quarry", f"id: quarry-{c}").replace("name: Quarry", f"name: Quarry {c}")
                   for c in "abcde")
    catalog, problems = read(tmp_path, site, text)
    assert problems == []
    assert catalog.suggest("quarry-x") == "did you mean 'quarry-e' or 'quarry-d' or 'quarry-c'?"


def test_a_catalog_not_a_list_is_shown_where_it_starts_and_the_path_as_given(tmp_path: Path, site: Site) -> None:
    assert read(tmp_path, site, "# the catalog\nid: quarry\n")[1][0].startswith(f"{SHOWN}:2:1: error[wrong-type]")
    path = tmp_path / "catalog.yaml"
    path.write_text(ENTRY, encoding="utf-8")
    catalog, problems = load_catalog(path, site)
    assert problems == [] and catalog.path == str(path) and catalog.entries[0].location.path == str(path)


@pytest.mark.parametrize("budget, hint", [
    (1, "add an entry"), (2, "add an entry"), (3, "add an entry"), (4, "add an entry"), (5, "did you mean 'xbcde'?"),
])
def test_the_suggestion_budget_counts_the_keys_looked_at(monkeypatch: pytest.MonkeyPatch, budget: int,
                                                        hint: str) -> None:
    # "abcde": its pieces held by no key come first, then "  a" and " ab" (in "abqqq"), then "bcd", "cde" and
    # "de " (in "xbcde"), one key each. Only with all five looked at does "xbcde" hold the most of them.
    from pipeline.model import catalog as model_catalog

    monkeypatch.setattr(model_catalog, "SUGGESTION_BUDGET", budget)
    monkeypatch.setattr(model_catalog, "SUGGESTION_CANDIDATES", 1)
    entries = tuple(CatalogEntry(key, key, (), "A tool.", "tool", "https://t.example.org/", "")
                    for key in ("abqqq", "xbcde"))
    catalog = Catalog(entries)
    catalog.index.update({e.id: e for e in entries})
    assert catalog.suggest("abcde").startswith(hint)
