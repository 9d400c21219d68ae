"""The archive's pages on Meta beyond each digest: the main page's generated sections, the tools page.

The main page ("Wikimedia Clinics") is written by people; only its generated sections
belong to the pipeline, each between a pair of marker comments:

    <!-- clinics:begin archive (…) -->
    == Archive of digests of past calls ==
    …
    <!-- clinics:end archive -->

`splice` replaces the text between the markers and leaves the rest of the page as it was.
Both pages are written from digest summaries (titles and citations), never from the notes.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from pipeline import timing
from pipeline.model.archive import Archive
from pipeline.model.calendar import Call
from pipeline.model.digest import Digest, Status
from pipeline.model.locale import list_pattern
from pipeline.model.output import Output
from pipeline.model.settings import Language, wiki_url
from pipeline.read.catalog import KINDS
from pipeline.render.document import Foreign, Inline, Link, fill, join_links, page_title, shown
from pipeline.render.wiki import escape as wikiescape
from pipeline.render.wiki.inline import Text, external, join, local_link
from pipeline.render.wiki.followups import FOLLOWUPS_FILE, followups_page_text, followups_section_text, followups_title
from pipeline.render.wiki.page import Writer, file_name, heading_line
from pipeline.render.wiki.translations import TRANSLATIONS_FILE, translations_text, translations_title


PAGES_FILE = "pages.json"
MAIN_SECTIONS_FILE = "main-page-sections.wiki"
TOOLS_FILE = "tools-and-resources.wiki"
TOOLS_PAGE = "Tools and resources"


@dataclass(frozen=True)
class Page:
    """A whole page the pipeline owns: its title on the wiki and its file under build/wiki/."""

    title: str
    file: str
    digest: Digest | None = None  # None for the tools pages and the follow-ups page
    text: str = ""  # the wikitext of a page that is not a digest's (a digest's is made from the digest)


@dataclass(frozen=True)
class GeneratedSection:
    """One generated section of the main page: its marker name and its wikitext, markers excluded."""

    name: str
    text: str


class MarkerError(Exception):
    """The main page's markers of a section are missing one half, repeated or out of order."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"the markers of the generated section '{name}' {problem}")
        self.name = name
        self.hint = (f"restore exactly one '{begin_marker(name)}' line and, after it, one "
                     f"'{end_marker(name)}' line on the page, or remove both to have the section "
                     "added again, before the next generated section or at the end of the page")


def render(archive: Archive) -> Iterator[Output]:
    """Yield build/wiki/pages.json, the main page's sections and the tools page."""

    with timing.stage("wikitext"):
        others = archive_pages(archive)
        pages = {page.title: page.file for page in digest_pages(archive) + others}
        data = (json.dumps(pages, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")
    yield Output(f"wiki/{PAGES_FILE}", data)
    # One at a time: at ten thousand digests each page is megabytes, made of many more pieces.
    with timing.stage("wikitext"):
        data = main_sections_text(archive).encode("utf-8")
    yield Output(f"wiki/{MAIN_SECTIONS_FILE}", data)
    for page in others:
        yield Output(f"wiki/{page.file}", page.text.encode("utf-8"))


def published(archive: Archive) -> list[Digest]:
    """Return the final digest versions, by call number, each call's own language first."""
    return sorted((d for d in archive.digests if d.meta.status is Status.FINAL),
                  key=lambda d: (d.meta.number, d.language != d.meta.call_language, d.language))


def pages_of(archive: Archive) -> list[Page]:
    """Return every whole page: one per final digest version, the tools pages, the translations page, the follow-ups page."""
    return digest_pages(archive) + archive_pages(archive)


def archive_pages(archive: Archive) -> list[Page]:
    """Return the whole pages made from the whole archive: the tools pages, the translations page, the follow-ups page."""
    pages = tools_pages(archive) + tools_pages_in_languages(archive) + [translations_page(archive)]
    if archive.followups.ordered:  # an archive that never recorded a follow-up has no page of them
        pages.append(Page(followups_title(archive), FOLLOWUPS_FILE, text=followups_page(archive)))
    return pages


def digest_pages(archive: Archive) -> list[Page]:
    """Return the page of each final digest version."""
    return [Page(page_title(archive, digest), file_name(digest), digest) for digest in published(archive)]


def followups_page(archive: Archive) -> str:
    """Return the text of the follow-ups page, in the main page's language."""
    return followups_page_text(archive, _main_language(archive))


def tools_title(archive: Archive) -> str:
    """Return the title of the tools page: "Wikimedia Clinics/Tools and resources"."""
    return f"{archive.site.wiki.page_prefix}/{TOOLS_PAGE}"


def _main_language(archive: Archive) -> Language:
    site = archive.site
    return site.language(site.default_language if site.default_language in site.languages
                         else next(iter(site.languages)))


# ------------------------------------------------------------------ the main page

def main_sections(archive: Archive) -> list[GeneratedSection]:
    """Return the main page's generated sections, in page order."""
    return [make(archive) for make in SECTIONS]


def archive_section(archive: Archive) -> GeneratedSection:
    """Return "Archive of digests of past calls": a table of every call, oldest first."""
    language = _main_language(archive)
    columns = language.t("archive_columns").split("|")
    lines = [heading_line(2, wikiescape.heading(language.t("archive_heading"))), '{| class="wikitable"',
             "! " + " !! ".join(wikiescape.cell(c.strip(), header=True) for c in columns)]
    calls: dict[int, list[Digest]] = {}
    for digest in published(archive):
        calls.setdefault(digest.meta.number, []).append(digest)
    for versions in calls.values():
        lines += ["|-", *_archive_row(archive, versions, language)]
    lines.append("|}")
    return GeneratedSection("archive", "\n".join(lines))


def _archive_row(archive: Archive, versions: Sequence[Digest], language: Language) -> list[str]:
    """Return the cells of one call: number, date, each version's topics, each version's language."""
    main = versions[0]
    site = archive.site
    topics = "<br />".join(wikiescape.cell("; ".join(_topic_titles(d))) for d in versions)
    names = " / ".join(_in_own_language(local_link(page_title(archive, d), site.language(d.language).name,
                                                   wikiescape.CELL), site.language(d.language), language)
                       for d in versions)
    return [f"| {local_link(page_title(archive, main), main.number_text, wikiescape.CELL)}",
            f"| {wikiescape.cell(language.date(main.meta.date))}",
            f"| {topics}".rstrip(), f"| {names}"]


def _in_own_language(wikitext: str, own: Language, page: Language) -> str:
    """Return `wikitext` (a language's name, in that language) marked with its language on a page in another."""
    return wikitext if own.code == page.code else f'<span lang="{own.code}" dir="{own.direction}">{wikitext}</span>'


def _topic_titles(digest: Digest) -> tuple[str, ...]:
    titles = digest.titles or tuple(topic.title for topic in digest.topics)
    return titles[1:] if digest.meta.intro else titles


def upcoming_section(archive: Archive) -> GeneratedSection:
    """Return "Upcoming calls": each scheduled call after the newest digest, soonest first."""
    language = _main_language(archive)
    columns = language.t("upcoming_columns").split("|")
    lines = [heading_line(2, wikiescape.heading(language.t("upcoming_heading")))]
    newest = max((d.meta.date for d in archive.digests), default=None)
    calls = sorted((c for c in archive.calls if newest is None or c.start.date() > newest),
                   key=lambda c: (c.start, c.number))
    if not calls:
        lines.append(wikiescape.text(language.t("upcoming_none"), start=True))
        return GeneratedSection("upcoming", "\n".join(lines))
    lines += ['{| class="wikitable"', "! " + " !! ".join(wikiescape.cell(c.strip(), header=True) for c in columns)]
    for call in calls:
        day = call.start.date()
        segment = ""
        if call.scheduled:
            segment = _topic_cell(call, language)
        lines += ["|-", f"| {wikiescape.cell(call.number_text)}",
                  f"| {wikiescape.cell(language.weekday(day, standalone=True))}",
                  f"| {wikiescape.cell(language.date(day))}", f"| {wikiescape.cell(language.time(call.start))}",
                  f"| {join(external(call.link, [Text(language.t('meeting_link'), wikiescape.CELL.in_label())]))}",
                  f"| {segment}".rstrip()]
    lines.append("|}")
    return GeneratedSection("upcoming", "\n".join(lines))


def followups_section(archive: Archive) -> GeneratedSection:
    """Return "Follow-ups": how many are open, and a link to the page that lists them all."""
    return GeneratedSection("followups", followups_section_text(archive, _main_language(archive)))


def _topic_cell(call: Call, language: Language) -> str:
    """Return the call's scheduled topic (and presenter) in a table cell: the topic in `language`, or marked."""
    assert call.scheduled is not None
    piece = shown(call.topics, language) if call.topics else call.scheduled.topic
    presenter = f" ({call.scheduled.presenter})" if call.scheduled.presenter else ""
    if isinstance(piece, Foreign):
        return (f'<span lang="{piece.lang}" dir="{piece.dir}">{wikiescape.cell(piece.text)}</span>'
                + wikiescape.cell(presenter))
    return wikiescape.cell(str(piece) + presenter)


SECTIONS: tuple[Callable[[Archive], GeneratedSection], ...] = (upcoming_section, followups_section, archive_section)


def begin_marker(name: str) -> str:
    return (f"<!-- clinics:begin {name} (generated from the digests by `clinics publish`: "
            "edits between these markers are replaced) -->")


def end_marker(name: str) -> str:
    return f"<!-- clinics:end {name} -->"


def marked(section: GeneratedSection) -> str:
    """Return a section between its markers."""
    return f"{begin_marker(section.name)}\n{section.text}\n{end_marker(section.name)}"


def main_sections_text(archive: Archive) -> str:
    """Return build/wiki/main-page-sections.wiki: every generated section, between its markers."""
    return "\n\n".join(marked(section) for section in main_sections(archive)) + "\n"


def _begin_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"<!--\s*clinics:begin\s+{re.escape(name)}(?=[\s-]).*?-->", re.DOTALL)


def _end_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"<!--\s*clinics:end\s+{re.escape(name)}\s*-->")


def section_span(page: str, name: str) -> tuple[int, int] | None:
    """Return where section `name` stands in `page`, markers included; None when it has no markers.

    Raises MarkerError when a marker is missing, repeated or out of order.
    """
    begins = list(_begin_pattern(name).finditer(page))
    ends = list(_end_pattern(name).finditer(page))
    if not begins and not ends:
        return None
    if len(begins) != 1 or len(ends) != 1:
        raise MarkerError(name, f"appear {len(begins)} (begin) and {len(ends)} (end) times, not once each")
    if ends[0].start() < begins[0].end():
        raise MarkerError(name, "are in the wrong order: the end marker comes before the begin marker")
    return begins[0].start(), ends[0].end()


def splice(page: str, sections: Sequence[GeneratedSection]) -> str:
    """Return `page` with each section's text replaced between its markers, the rest unchanged.

    A section whose markers are both missing is added just before the next generated section
    the page has, or at the end of the page when it has none after it.
    """
    for n, section in enumerate(sections):
        span = section_span(page, section.name)
        if span is not None:
            page = page[:span[0]] + marked(section) + page[span[1]:]
            continue
        following = (section_span(page, later.name) for later in sections[n + 1:])
        anchor = next((found for found in following if found is not None), None)
        if anchor is not None:
            page = page[:anchor[0]] + marked(section) + "\n\n" + page[anchor[0]:]
        else:
            page = (page.rstrip("\n") + "\n\n" if page.strip() else "") + marked(section) + "\n"
    return page


# ------------------------------------------------------------------ the tools page

def tools_pages(archive: Archive, language: Language | None = None) -> list[Page]:
    """Return the tools page; split by year when it would be larger than the wiki takes (wiki.max_page_kib).

    The whole page grows with every call (about 750 bytes a call: a 2 MiB wiki refuses it near
    call 2,800). Split, "Tools and resources" lists every entry and links a page per year, each
    with the entries mentioned that year and the digests that mention them: no page grows after
    its year. A year too large for one page (thousands of calls) has a page per kind of entry.
    With `language` (not the main one), the same pages in it, under "Tools and resources/es".
    """
    title = tools_title(archive) + (f"/{language.code}" if language else "")

    def file(name: str) -> str:
        return name.replace(".wiki", f".{language.code}.wiki") if language else name

    limit = archive.site.wiki.max_page_kib * 1024
    whole = tools_page_text(archive, language=language)
    if len(whole.encode("utf-8")) <= limit:
        return [Page(title, file(TOOLS_FILE), text=whole)]
    pages, parts = [], []
    for year in sorted({digest.meta.date.year for digest in published(archive)}):
        text = tools_page_text(archive, year=year, language=language)
        if len(text.encode("utf-8")) <= limit:
            pages.append(Page(f"{title}/{year}", file(TOOLS_FILE.replace(".wiki", f"-{year}.wiki")), text=text))
            parts.append((year, ()))
            continue
        kinds = []
        for kind in KINDS:
            text = tools_page_text(archive, year=year, kind=kind, language=language)
            if "\n* " in text:
                label = (language or _main_language(archive)).t(f"kind_{kind}")
                pages.append(Page(f"{title}/{year}/{label}", file(TOOLS_FILE.replace(".wiki", f"-{year}-{kind}.wiki")),
                                  text=text))
                kinds.append(label)
        parts.append((year, tuple(kinds)))
    return [Page(title, file(TOOLS_FILE), text=tools_page_text(archive, years=parts, language=language)), *pages]


def translations_page(archive: Archive) -> Page:
    """Return "Wikimedia Clinics/Translations": each call in each language, as `clinics status` prints it."""
    return Page(translations_title(archive), TRANSLATIONS_FILE, text=translations_text(archive, _main_language(archive)))


def tools_pages_in_languages(archive: Archive) -> list[Page]:
    """Return "…/Tools and resources/es" for each other language with published digests: the page in it.

    A page per language, as Meta's translated pages are (Page/es): a reader of the Spanish digests
    reads the catalog in Spanish, and a page holding every language side by side would be as many
    times larger as there are languages, on a page that is split by year already as it grows.
    """
    main = _main_language(archive)
    codes = sorted({d.language for d in published(archive)} - {main.code})
    return [page for code in codes for page in tools_pages(archive, archive.site.language(code))]


def tools_page_text(archive: Archive, year: int | None = None,
                    years: Sequence[tuple[int, Sequence[str]]] = (), kind: str | None = None,
                    language: Language | None = None) -> str:
    """Return "Wikimedia Clinics/Tools and resources": every entry by kind, with the digests citing it.

    With `year`, the page of that year: only the entries its digests cite (with `kind`, only
    those of that kind). With `years`, the index of a split page: every entry without its
    digests, and a link to each year's page, or to each of a year's pages by kind. With
    `language`, the page in that language (its names and descriptions, else English, marked).
    """
    language = language or _main_language(archive)
    writer = Writer(archive.site, archive.catalog)
    prefix = archive.site.wiki.page_prefix + "/"
    citing: dict[str, list[str]] = {}
    for digest in published(archive):
        if years or (year is not None and digest.meta.date.year != year):
            continue
        title = page_title(archive, digest)
        link = local_link(title, title.removeprefix(prefix))  # made once, however many entries it cites
        for entry_id in digest.citations:
            citing.setdefault(entry_id, []).append(link)
    # One list of pieces, joined once: at ten thousand digests the page is megabytes, most of it the
    # same few thousand digest links repeated, and every intermediate copy would count.
    intro = wikiescape.text(language.t("tools_page_intro") if year is None
                            else language.t("tools_year_intro", year=year), start=True)
    pieces = [intro] if intro else []
    if years:
        title = tools_title(archive) + (f"/{language.code}" if language.code != _main_language(archive).code else "")
        groups: list[list[Inline]] = []
        for year_of, kinds in years:
            if not kinds:
                groups.append([Link(str(year_of), wiki_url(archive.site, f"{title}/{year_of}"), f"{title}/{year_of}")])
                continue
            pages = [Link(k, wiki_url(archive.site, f"{title}/{year_of}/{k}"), f"{title}/{year_of}/{k}") for k in kinds]
            groups.append([f"{year_of} (", *join_links(pages, language), ")"])
        links = list(fill(list_pattern(language.code, len(groups)), **{f"v{n}": g for n, g in enumerate(groups)}))
        pieces += ["\n\n", writer.paragraph(fill(language.strings["tools_by_year"], years=links))]
    cited_in = f"\n** {wikiescape.text(language.t('cited_in'))}: "
    kinds = KINDS if kind is None else (kind,)
    for kind in kinds:
        entries = sorted((e for e in archive.catalog.entries if e.kind == kind and (year is None or e.id in citing)),
                         key=lambda e: (e.name.casefold(), e.id))
        if not entries:
            continue
        if pieces:
            pieces.append("\n\n")
        pieces.append(heading_line(2, wikiescape.heading(language.t(f"kind_{kind}"))))
        for entry in entries:
            pieces += ("\n", writer.tool_line(entry, language))
            links = citing.get(entry.id)
            if links:
                pieces.append(cited_in)
                pieces += [piece for link in links for piece in (", ", link)][1:]
    pieces.append("\n")
    return "".join(pieces)
