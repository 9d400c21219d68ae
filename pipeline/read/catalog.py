"""digests/catalog.yaml -> the Catalog: every entry checked, its wiki page turned into an address, the index built."""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path

from pipeline.model.catalog import Catalog, fold_label, page_url, split_prefix
from pipeline.model.diagnostics import Diagnostic, error
from pipeline.model.localised import Localised
from pipeline.model.digest import CatalogEntry, Digest
from pipeline.model.settings import Site, title_problem
from pipeline.read.yamldata import YamlData, check_keys, read_yaml_file

KINDS = ("tool", "page", "program", "group", "contact")
_KEYS = ("id", "name", "aliases", "description", "kind", "url", "page")
_REQUIRED = ("id", "name", "description", "kind")
_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*\Z")


def load_catalog(path: Path, site: Site, display: str | None = None) -> tuple[Catalog, list[Diagnostic]]:
    """Return the catalog in `path` and every problem in it."""
    shown = display or str(path)
    data, problems = read_yaml_file(path, shown, "the catalog")
    if data is None or data.value is None:
        return Catalog(path=shown), problems
    if not isinstance(data.value, list):
        return Catalog(path=shown), problems + [error(
            "wrong-type", "the catalog must be a list of entries", data.at(()),
            "start each entry with '- id: …'")]
    entries = [entry for i in range(len(data.value)) if (entry := _read_entry(data, i, site, problems))]
    catalog = Catalog(tuple(entries), shown)
    problems += _index(catalog, data)
    return catalog, problems


def _read_entry(data: YamlData, i: int, site: Site, problems: list[Diagnostic]) -> CatalogEntry | None:
    item = data.value[i]
    where = data.at((i,))
    if not isinstance(item, dict):
        problems.append(error("wrong-type", "a catalog entry must be a mapping", where,
                              "write 'id:', 'name:', 'description:', 'kind:' and 'url:' or 'page:'"))
        return None
    found = check_keys(data, (i,), _KEYS, _REQUIRED, "a catalog entry")
    for key in ("id", "kind", "url"):
        if key in item and not isinstance(item[key], str):
            found.append(error("wrong-type", f"'{key}' must be text", data.at((i, key))))
    default = site.default_language
    names = _localised(data, (i, "name"), site, found)
    descriptions = _localised(data, (i, "description"), site, found)
    pages = _localised(data, (i, "page"), site, found) if "page" in item else Localised()
    aliases = _aliases(data, i, site, found)
    if found:
        problems.extend(found)
        return None
    item = {**item, "name": names.text(default), "description": descriptions.text(default),
            "page": pages.text(default) if pages else item.get("page")}
    entry_id = item["id"]
    if not _SLUG.match(entry_id):
        found.append(error("bad-id", f"id '{entry_id}' is not a lower-case slug", data.at((i, "id")),
                           "use lower-case letters, digits and single hyphens, e.g. 'trust-and-safety'"))
    if item["kind"] not in KINDS:
        close = difflib.get_close_matches(item["kind"], KINDS, n=1)
        found.append(error("bad-kind", f"kind '{item['kind']}' is not one of {', '.join(KINDS)}",
                           data.at((i, "kind")), f"did you mean '{close[0]}'?" if close else ""))
    url, page = item.get("url"), item.get("page")
    if url and page:
        found.append(error("two-targets", f"entry '{entry_id}' has both 'url' and 'page'", where,
                           "keep exactly one target: 'url' for a web address, 'page' for a wiki page"))
    elif not url and not page:
        found.append(error("no-target", f"entry '{entry_id}' has neither 'url' nor 'page'", where,
                           "add 'url: https://…' or 'page: \"m:Page title\"'"))
    elif url and not _is_https_url(url):
        found.append(error("not-https", f"url '{url}' of '{entry_id}' is not an https:// address",
                           data.at((i, "url")), "catalog links must use https://"))
    elif page:
        url = page_url(page, site)
        if url is None or not split_prefix(page, site)[1].strip():
            prefix = page.split(":")[0] if ":" in page else ""
            problem = (f"unknown interwiki prefix '{prefix}' in page '{page}'" if prefix
                       else f"page '{page}' has no interwiki prefix")
            found.append(error("unknown-prefix", problem, data.at((i, "page")),
                               "known prefixes: " + ", ".join(sorted(site.interwiki))))
        elif title_problem(split_prefix(page, site)[1]):
            found.append(error("bad-title", f"page '{page}' of '{entry_id}' is no title MediaWiki takes: "
                               f"{title_problem(split_prefix(page, site)[1])}", data.at((i, "page")),
                               "write the page's title as it stands on the wiki, without brackets or braces"))
    own_pages = []
    for code, other in pages.texts:
        if other != page:
            other_url = page_url(other, site)
            if other_url is None or not split_prefix(other, site)[1].strip():
                found.append(error("unknown-prefix", f"page '{other}' of '{entry_id}' in '{code}' has no known "
                                   "interwiki prefix", data.at((i, "page", code)),
                                   "known prefixes: " + ", ".join(sorted(site.interwiki))))
            else:
                own_pages.append((code, other, other_url))
    problems.extend(found)
    if found:
        return None
    return CatalogEntry(id=entry_id, name=item["name"], description=item["description"],
                        kind=item["kind"], url=url or "", page=page or "",
                        aliases=aliases, location=where, names=names, descriptions=descriptions,
                        pages=tuple(own_pages))


def _localised(data: YamlData, path: tuple[int, str], site: Site, found: list[Diagnostic]) -> Localised:
    """Return the text at `path`: plain text (in the site's default language) or {en: …, es: …}."""
    value = data.value[path[0]].get(path[1])
    name = path[1]
    if value is None:
        return Localised()
    if isinstance(value, str) and value.strip():
        return Localised.single(site.default_language, value.strip())
    hint = f"write '{name}: …' in {site.default_language}, or one per language: '{name}: {{en: …, es: …}}'"
    if not isinstance(value, dict) or not value:
        found.append(error("wrong-type", f"'{name}' must be text, or a mapping of languages to text", data.at(path),
                           hint))
        return Localised()
    texts = []
    for code, text in value.items():
        if code not in site.languages:
            found.append(error("unknown-language", f"'{name}' is given in {code!r}, which is not in {site.path}",
                               data.key_at(path + (code,)), f"languages in {site.path}: {', '.join(site.languages)}"))
        elif not isinstance(text, str) or not text.strip():
            found.append(error("wrong-type", f"'{name}' in {code!r} must be text", data.at(path + (code,)), hint))
        else:
            texts.append((str(code), text.strip()))
    if texts and site.default_language not in dict(texts):
        found.append(error("missing-key", f"'{name}' has no {site.default_language!r} text, which every output "
                           "falls back on", data.at(path), f"add '{site.default_language}: …' under '{name}'"))
    return Localised(tuple(texts))


def _aliases(data: YamlData, i: int, site: Site, found: list[Diagnostic]) -> tuple[str, ...]:
    """Return the aliases of entry `i`, of every language: a list, or {en: [...], es: [...]}."""
    value = data.value[i].get("aliases") or []
    lists = value.values() if isinstance(value, dict) else [value]
    if isinstance(value, dict):
        for code in value:
            if code not in site.languages:
                found.append(error("unknown-language", f"'aliases' are given in {code!r}, which is not in "
                                   f"{site.path}", data.key_at((i, "aliases", code)),
                                   f"languages in {site.path}: {', '.join(site.languages)}"))
    names: list[str] = []
    for names_of in lists:
        if not isinstance(names_of, list) or not all(isinstance(a, str) and a.strip() for a in names_of):
            found.append(error("wrong-type", "'aliases' must be a list of names, or one list per language",
                               data.at((i, "aliases")), "write 'aliases: [T&S]' or 'aliases: {en: [T&S], es: [CyS]}'"))
            return ()
        names += [a.strip() for a in names_of]
    return tuple(dict.fromkeys(names))


def _is_https_url(url: str) -> bool:
    return url.startswith("https://") and len(url) > len("https://") and not any(c.isspace() for c in url)


def _index(catalog: Catalog, data: YamlData) -> list[Diagnostic]:
    problems = []
    for entry in catalog.entries:
        for n, label in enumerate(dict.fromkeys(entry.labels)):
            key = fold_label(label)
            other = catalog.index.get(key)
            if other is None:
                catalog.index[key] = entry
                continue
            what = "id" if n == 0 else ("name" if label == entry.name else "alias")
            code = "duplicate-id" if n == 0 and other.id == label else f"duplicate-{what}"
            if other is entry:
                continue  # the name repeats the id: one entry, one label
            problems.append(error(code, f"{what} '{label}' is already used by entry '{other.id}' "
                                  f"(line {other.location.line})", entry.location,
                                  "every id, name and alias must be unique across the catalog"))
    return problems


def cited_entries(catalog: Catalog, ids: Iterable[str]) -> list[CatalogEntry]:
    """Return the entries for `ids`, in the order given."""
    return [catalog.get(i) for i in ids]


def describe(catalog: Catalog, digests: Iterable[Digest]) -> str:
    """Return the catalog as text: each entry, its target, and the digests that cite it."""
    citing: dict[str, list[str]] = {entry.id: [] for entry in catalog.entries}
    for digest in digests:
        for entry_id in digest.citations:
            citing.setdefault(entry_id, []).append(digest.id)
    lines = []
    for entry in sorted(catalog.entries, key=lambda e: (KINDS.index(e.kind), e.id)):
        lines.append(f"{entry.id}  ({entry.kind})  {entry.name}")
        lines.append(f"    {entry.page or entry.url}")
        if entry.page:
            lines.append(f"    {entry.url}")
        lines.append(f"    cited by: {', '.join(citing[entry.id]) or '(no digest)'}")
    return "\n".join(lines) + "\n"
