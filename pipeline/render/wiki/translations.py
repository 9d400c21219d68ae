"""The Meta page "Wikimedia Clinics/Translations": each call in each language, final, draft, outdated or missing."""
from __future__ import annotations

from pipeline.model.archive import Archive
from pipeline.model.settings import Language
from pipeline.model.translation import State, translation_table
from pipeline.render.wiki import escape as wikiescape
from pipeline.render.wiki.inline import local_link

TRANSLATIONS_PAGE = "Translations"
TRANSLATIONS_FILE = "translations.wiki"


def translations_title(archive: Archive) -> str:
    return f"{archive.site.wiki.page_prefix}/{TRANSLATIONS_PAGE}"


def translations_text(archive: Archive, language: Language) -> str:
    """Return the page: a table of calls by language (as `clinics status` prints it), in `language`."""
    site = archive.site
    table = translation_table(archive.digests, list(site.languages), archive.catalog, archive.outdated)
    names = [site.language(code).name for code in table.languages]
    lines = [wikiescape.text(language.t("translations_intro"), start=True), "", '{| class="wikitable"',
             "! " + " !! ".join(wikiescape.cell(c, header=True) for c in ["#", *names])]
    for number, states in table.rows:
        main = archive.versions(number)[0]
        cells = [local_link(f"{site.wiki.page_prefix}/{main.number_text}", main.number_text, wikiescape.CELL)]
        cells += [wikiescape.cell(language.t(f"state_{state.value}")) for state in states]
        lines += ["|-", *(f"| {cell}" for cell in cells)]
    lines.append("|}")
    counts = language.join([f"{name} {count}" for name, count in zip(names, table.lacking)])
    lines += ["", wikiescape.text(language.t("translations_lacking", counts=counts), start=True)]
    return "\n".join(lines) + "\n"


