"""Text + HTML -> the .eml message of each mailing list; the "emails" stage of the build.

For each final digest version: build/email/<id>.html and build/email/<id>.txt (the two bodies,
to preview), and build/email/<list>/<id>.eml for each list in site.yaml that takes its
language: text/plain alone for a "plain" list, multipart/alternative (text first, then HTML)
for a "multipart" one. Two builds of the same sources give the same bytes: the Date header is
the call's date and time (a placeholder `clinics send` replaces), the Message-ID and the MIME
boundary are hashes of what they stand for.
"""
from __future__ import annotations

import binascii
import datetime as dt
import functools
import hashlib
import re
from collections.abc import Iterator
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP, EmailPolicy
from email.utils import format_datetime, parseaddr
from pathlib import Path

from pipeline import timing
from pipeline.model.archive import Archive
from pipeline.model.diagnostics import Diagnostic, Location, warning
from pipeline.model.digest import Digest
from pipeline.model.output import Output
from pipeline.model.settings import ListFormat, MailingList, Site, split_address
from pipeline.render.document import Document, Link, document, entry_item, fill
from pipeline.render.email.html import render_html
from pipeline.render.email.letter import Bodies, ItemSection, Letter, fitted_subject, frame, header_text
from pipeline.render.email.text import render_text
from pipeline.render.followups import with_followups


GMAIL_CLIP_BYTES = 102 * 1000  # Gmail shows "[Message clipped]" past about 102 KB of HTML
DEFAULT_HOUR = dt.time(12, 0)  # the built Date of a call whose time is unknown


def compose(archive: Archive, doc: Document) -> Letter:
    """Return the letter that frames `doc`."""
    language = doc.language
    on_meta = fill(language.strings["on_meta"], page=doc.page)
    opening = doc.opening
    if doc.versions:  # the document's last paragraph names the other versions: the Meta page joins it
        opening = (*opening[:-1], (*opening[-1], " ", *on_meta))
    else:
        opening = (*opening, on_meta)
    tools = tuple(entry_item(entry, language) for entry in doc.tools)
    followups = tuple(ItemSection(part.heading, part.items) for part in doc.followups)
    appendix = tuple(section for section in (*followups, ItemSection(doc.tools_heading, tools),
                                             ItemSection(doc.upcoming_heading, doc.upcoming)) if section.items)
    number = doc.digest.number_text
    subject = fitted_subject(lambda topics: language.t("subject", number=number, topics=topics),
                             "; ".join(doc.topic_titles))
    return frame(archive.site, language, title=doc.title, code=doc.digest.language, sections=doc.sections,
                 subject=subject, dateline=doc.date_text,
                 opening=opening, appendix=appendix)


def bodies(archive: Archive, digest: Digest) -> Bodies:
    """Return the text and HTML bodies of `digest`."""
    return written(compose(archive, with_followups(archive, document(archive, digest))), archive.templates)


def written(letter: Letter, templates: Path) -> Bodies:
    """Return `letter` with its text and HTML bodies, the HTML made with the templates in `templates`."""
    with timing.stage("text"):
        text = render_text(letter)
    return Bodies(letter, text, render_html(letter, templates))


def message_id(site: Site, digest_id: str, list_name: str, serial: int = 0) -> str:
    """Return the Message-ID of `digest_id` sent to `list_name`: the same in every build.

    `serial` counts earlier sends of the same version to the same list (`send --resend`), so
    that a deliberate second send is not taken for a duplicate of the first.
    """
    key = "\n".join((site.title, site.sender, digest_id, list_name, str(serial)))
    token = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    suffix = f".{serial}" if serial else ""
    return f"<{digest_id}.{list_name}{suffix}.{token}@{sender_domain(site)}>"


@functools.cache  # the sender and the lists' addresses, asked for once or twice per message
def parse_address(value: str) -> tuple[str, str]:
    """Return the display name and the address of "Name <user@host>" or "user@host", as written.

    email.utils.parseaddr reads an unquoted comma as the end of an address ("Clinics, WMF
    <a@example.org>" gives the address "Clinics") and a colon as a group, so that words in
    a display name could take the place of the address.
    """
    text = header_text(value)
    return split_address(text) or parseaddr(text)


def sender_domain(site: Site) -> str:
    """Return the domain of the sender's address (for Message-IDs)."""
    address = parse_address(site.sender)[1]
    domain = address.rpartition("@")[2]
    return domain if address.count("@") == 1 and re.fullmatch(r"[A-Za-z0-9.-]+", domain) else "clinics.invalid"


def built_date(digest: Digest) -> dt.datetime:
    """Return the Date of the built message: the call's date and UTC time (noon when unknown)."""
    return dt.datetime.combine(digest.meta.date, digest.meta.time or DEFAULT_HOUR, tzinfo=dt.timezone.utc)


def lists_for(site: Site, digest: Digest) -> tuple[MailingList, ...]:
    """Return the mailing lists that take `digest`'s language."""
    return tuple(mailing_list for mailing_list in site.lists if digest.language in mailing_list.languages)


def build_message(site: Site, digest: Digest, made: Bodies, mailing_list: MailingList,
                  date: dt.datetime | None = None, serial: int = 0) -> EmailMessage:
    """Return the message of `digest` for `mailing_list`, dated `date` (default: the built date)."""
    return new_message(site, made, mailing_list, digest.id, date or built_date(digest), serial)


class Verbatim(str):
    """A header value made here from known parts, already folded: stored and written as it is."""


class _VerbatimPolicy(EmailPolicy):
    """email.policy.SMTP, storing a Verbatim value as it is rather than parsing it again.

    The email package would parse each such header only to write it the same way (a third of the
    time of a message), and its own folder leaves a doubled space in a folded encoded subject.
    `header_store_parse` is the policy's documented hook for what a program sets; a value stored
    as a string is what the parser stores, and the generator writes it as it is (folding it anew
    only where a line is longer than the policy allows, which the values made here never are).
    """

    def header_store_parse(self, name: str, value: object) -> tuple[str, object]:
        if isinstance(value, Verbatim):
            return name, str(value)
        return super().header_store_parse(name, value)


POLICY = _VerbatimPolicy(linesep=SMTP.linesep)


def new_message(site: Site, made: Bodies, mailing_list: MailingList, key: str, date: dt.datetime,
                serial: int = 0) -> EmailMessage:
    """Return the message holding `made` for `mailing_list`; `key` names it in its Message-ID."""
    message = EmailMessage(policy=POLICY)
    _set_address(message, "From", site.sender)
    _set_address(message, "To", mailing_list.address)
    _set_subject(message, made.letter.subject)
    message["Date"] = Verbatim(format_datetime(date))
    message["Message-ID"] = Verbatim(message_id(site, key, mailing_list.name, serial))
    message["MIME-Version"] = Verbatim("1.0")
    text = _body_part(made.text, "plain")
    if mailing_list.format is ListFormat.MULTIPART:
        # A stable boundary, unlike the email package's random one. "=_" never occurs in
        # quoted-printable text, so it cannot collide with a line of either body.
        token = hashlib.sha256((made.text + "\0" + made.html).encode("utf-8")).hexdigest()[:24]
        message["Content-Type"] = Verbatim(f'multipart/alternative; boundary="=_clinics_{token}"')
        message.attach(text)
        message.attach(_body_part(made.html, "html"))
    else:
        _set_text_headers(message, "plain")
        message.set_payload(text.get_payload())
    message["Content-Language"] = Verbatim(header_text(made.letter.language))
    return message


def _body_part(body: str, subtype: str) -> MIMEPart:
    """Return `body` as a UTF-8, quoted-printable text part.

    The encoding is binascii's, in C: the email package's own quoted-printable encoder, in
    Python, took most of the time of a message.
    """
    part = MIMEPart(policy=POLICY)
    _set_text_headers(part, subtype)
    part.set_payload(binascii.b2a_qp(body.encode("utf-8"), istext=True).decode("ascii"))
    return part


def _set_text_headers(part: MIMEPart, subtype: str) -> None:
    part["Content-Type"] = Verbatim(f'text/{subtype}; charset="utf-8"')
    part["Content-Transfer-Encoding"] = Verbatim("quoted-printable")


def _set_subject(message: EmailMessage, subject: str) -> None:
    """Set the Subject, folded by hand, RFC 2047-encoded when it is not ASCII.

    The email package's own folder leaves a space before a line break that precedes an encoded
    word, so a folded subject reads back with a doubled space; and it folds some long ASCII
    subjects (one with an "@") before their first word, so that they read back with a leading
    space. Encoded words that follow one another across a fold read back exactly. A subject
    that holds "=?" is encoded too: written as it is, a reader would decode "=?utf-8?q?…?="
    in a topic's title into other text.
    """
    plain = subject.isascii() and "=?" not in subject
    encoded = Header(subject, "us-ascii" if plain else "utf-8", header_name="Subject").encode(
        linesep=SMTP.linesep, maxlinelen=78 if plain else 76)
    message["Subject"] = Verbatim(encoded)




def _set_address(message: EmailMessage, name: str, value: str) -> None:
    folded = _folded_address(name, value)
    if folded is None:
        message[name] = _address(value)
    else:
        message[name] = Verbatim(folded)


@functools.cache  # one sender and a few lists: each folded once per process, not once per message
def _folded_address(name: str, value: str) -> str | None:
    """Return address header `name` holding `value` as the email package writes it, without "Name: ".

    None where a value set raw would not be written the same: when the package breaks the line
    right after "Name:" (a long encoded name), or leaves a line longer than the policy's limit
    (a very long word), which the generator would parse again and fold anew.
    """
    folded = SMTP.fold(name, SMTP.header_factory(name, _address(value)))
    prefix = name + ": "
    lines = folded.removesuffix(SMTP.linesep).split(SMTP.linesep)
    if not folded.startswith(prefix) or any(len(line) > SMTP.max_line_length for line in lines):
        return None
    return folded[len(prefix):].removesuffix(SMTP.linesep)


def _address(value: str) -> Address:
    name, address = parse_address(value)
    username, _, domain = address.rpartition("@")
    return Address(display_name=name, username=username, domain=domain)


def size_warning(digest: Digest, html: str) -> Diagnostic | None:
    """Return a warning when the HTML body is long enough for Gmail to clip it."""
    size = len(html.encode("utf-8"))
    if size <= GMAIL_CLIP_BYTES:
        return None
    return warning("email-size", f"the HTML email of {digest.id} is {size / 1000:.0f} KB; Gmail clips messages "
                   f"over {GMAIL_CLIP_BYTES // 1000} KB behind a \"[Message clipped]\" link",
                   Location(digest.path), "shorten the notes, or split the call into two digests")


def render(archive: Archive, digest: Digest) -> Iterator[Output | Diagnostic]:
    """Yield the two bodies of `digest`, its message for each list that takes its language, and a
    warning when the HTML is long enough for Gmail to clip."""

    made = bodies(archive, digest)
    problem = size_warning(digest, made.html)
    if problem is not None:
        yield problem
    yield Output(f"email/{digest.id}.html", made.html.encode("utf-8"))
    yield Output(f"email/{digest.id}.txt", made.text.encode("utf-8"))
    for mailing_list in lists_for(archive.site, digest):
        with timing.stage("mime"):
            data = build_message(archive.site, digest, made, mailing_list).as_bytes()
        yield Output(f"email/{mailing_list.name}/{digest.id}.eml", data)
