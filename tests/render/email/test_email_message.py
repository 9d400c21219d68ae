"""The .eml messages: structure, headers, the Spanish subject, no header injection, byte-identical builds."""
from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import hashlib
import re
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import DIGESTS, ROOT, TEMPLATES, digest_text, mutant_switch

from pipeline.check.archive import load_archive
from pipeline.model.diagnostics import has_errors
from pipeline.render.email import letter, mime as email_mime

TODAY = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def built() -> dict[str, bytes]:
    """Return every output of the emails stage for the example archive, by path."""
    archive = load_archive(DIGESTS, TEMPLATES, TODAY)
    return {o.path: o.data for digest in archive.digests for o in email_mime.render(archive, digest)}


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def unix(text: str) -> str:
    """Return `text` with the CRLF line ends of the wire made LF again."""
    return text.replace("\r\n", "\n")


def test_the_stage_writes_two_bodies_per_version_and_a_message_per_list(built: dict[str, bytes]) -> None:
    ids = ["001", "002", "003", "004", "005", "006.en", "006.es", "007", "008", "009"]
    expected = {f"email/{i}.{ext}" for i in ids for ext in ("html", "txt")}
    expected |= {f"email/wikimedia-l/{i}.eml" for i in ids if i != "006.es"}
    expected |= {"email/iberocoop/006.es.eml"}
    assert set(built) == expected


def test_a_plain_list_gets_one_text_part(built: dict[str, bytes]) -> None:
    for path, data in built.items():
        if not path.startswith("email/wikimedia-l/"):
            continue
        message = parse(data)
        assert message.get_content_type() == "text/plain" and not message.is_multipart(), path
        assert message.get_content_charset() == "utf-8", path
        assert message["Content-Transfer-Encoding"] == "quoted-printable", path
        digest_id = Path(path).stem
        assert unix(message.get_content()) == built[f"email/{digest_id}.txt"].decode("utf-8"), path


def test_a_multipart_list_gets_text_first_then_html(built: dict[str, bytes]) -> None:
    message = parse(built["email/iberocoop/006.es.eml"])
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    for part in (text, html):
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
    assert unix(text.get_content()) == built["email/006.es.txt"].decode("utf-8")
    assert unix(html.get_content()) == built["email/006.es.html"].decode("utf-8")
    assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None


def test_the_headers(built: dict[str, bytes]) -> None:
    message = parse(built["email/wikimedia-l/001.eml"])
    assert message["From"] == "Wikimedia Clinics <wikimedia-clinics@wikimedia.org>"
    assert message["From"].addresses[0].addr_spec == "wikimedia-clinics@wikimedia.org"
    assert message["To"] == "wikimedia-l@lists.wikimedia.org"
    assert message["Subject"] == "#001: Universal Code of Conduct (Clinic digest)"
    assert message["Date"] == "Mon, 15 Jun 2020 17:30:00 +0000"  # the call's date and time
    assert message["Content-Language"] == "en"
    assert message["MIME-Version"] == "1.0"
    assert re.fullmatch(r"<001\.wikimedia-l\.[0-9a-f]{16}@wikimedia\.org>", message["Message-ID"])
    assert parse(built["email/iberocoop/006.es.eml"])["Date"] == "Thu, 16 Jul 2020 12:00:00 +0000"


def test_the_spanish_subject_is_encoded_and_reads_back_exactly(built: dict[str, bytes]) -> None:
    data = built["email/iberocoop/006.es.eml"]
    head = data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    raw = re.search(rb"^Subject: (.*?)\r\n(?=\S)", head, re.M | re.S)[1]
    assert raw.startswith(b"=?utf-8?") and all(len(line) <= 78 for line in raw.split(b"\r\n"))
    assert parse(data)["Subject"] == ("n.º 006: Impacto de la pandemia en los afiliados; Apoyo que se necesita de "
                                      "la Fundación (resumen de la Clínica)")


def test_message_ids_differ_by_version_and_list_and_send() -> None:
    archive = load_archive(DIGESTS, TEMPLATES, TODAY)
    site = archive.site
    ids = {email_mime.message_id(site, d, name, serial) for d in ("006.en", "006.es", "001")
           for name in ("wikimedia-l", "iberocoop") for serial in (0, 1)}
    assert len(ids) == 12
    assert email_mime.message_id(site, "001", "wikimedia-l") == email_mime.message_id(site, "001", "wikimedia-l")


def test_every_line_is_short_and_ends_in_crlf(built: dict[str, bytes]) -> None:
    for path, data in built.items():
        if path.endswith(".eml"):
            lines = data.split(b"\r\n")
            assert all(len(line) <= 78 for line in lines), path
            assert b"\n" not in data.replace(b"\r\n", b""), path


def test_two_builds_in_two_processes_are_byte_identical(built: dict[str, bytes], tmp_path: Path) -> None:
    script = (
        "import datetime as dt, hashlib, sys\n"
        "from pathlib import Path\n"
        "from pipeline.render.email import mime as email_mime\n"
        "from pipeline.check.archive import load_archive\n"
        "a = load_archive(Path(sys.argv[1]), Path(sys.argv[2]), dt.date(2026, 1, 1))\n"
        "h = hashlib.sha256()\n"
        "for d in a.digests:\n"
        "    for o in email_mime.render(a, d):\n"
        "        h.update(o.path.encode() + b'\\0' + o.data + b'\\0')\n"
        "print(h.hexdigest())\n")
    digests = []
    for seed in ("1", "2"):
        proc = subprocess.run([sys.executable, "-c", script, str(DIGESTS), str(TEMPLATES)], cwd=ROOT,
                              capture_output=True, text=True, timeout=60,
                              env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                   **mutant_switch()})
        assert proc.returncode == 0, proc.stderr
        digests.append(proc.stdout.strip())
    here = hashlib.sha256()
    for path, data in built.items():
        here.update(path.encode() + b"\0" + data + b"\0")
    assert digests[0] == digests[1] == here.hexdigest()


# Headers cannot be forged from a source

@pytest.mark.parametrize("breaker", ["\r\n", "\n", "\r", "\x85", "\u2028", "\u2029", "\x0b", "\x0c", "\x1e", "\t"])
def test_header_text_leaves_one_line(breaker: str) -> None:
    assert letter.header_text(f"Topic{breaker}Bcc: victim@example.org ") == "Topic Bcc: victim@example.org"


def test_a_topic_title_cannot_add_a_header(scratch: Path) -> None:
    # The loader refuses these characters in a file; a title that reached the model some other way
    # (a future source, a bug upstream) still cannot break the header.
    (scratch / "001.md").write_text(digest_text(1, "", "## Evil\n\n* Volunteer:\n    * Asked.\n"), encoding="utf-8")
    archive = load_archive(scratch, TEMPLATES, TODAY)
    assert not has_errors(archive.diagnostics)
    digest = archive.digests[0]
    title = "Évil\r\nBcc: victim@example.org\u2028X-Injected: 1\x85Reply-To: a@example.org\u2029\nTo: b@example.org"
    hostile = dataclasses.replace(digest, topics=(digest.topics[0], dataclasses.replace(digest.topics[1],
                                                                                          title=title)))
    made = email_mime.bodies(archive, hostile)
    data = email_mime.build_message(archive.site, hostile, made, archive.site.lists[0]).as_bytes()
    message = parse(data)
    assert sorted(message.keys()) == sorted(
        ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
         "Content-Transfer-Encoding", "Content-Language"])
    assert message["To"] == "wikimedia-l@lists.wikimedia.org"
    assert message["Subject"] == ("#001: Évil Bcc: victim@example.org X-Injected: 1 Reply-To: a@example.org "
                                  "To: b@example.org (Clinic digest)")
    assert message["Subject"] == made.letter.subject


def test_settings_cannot_add_a_header_either() -> None:
    archive = load_archive(DIGESTS, TEMPLATES, TODAY)
    site = dataclasses.replace(archive.site, sender="Clinics\u2028Bcc: victim@example.org <clinics@example.org>")
    digest = archive.digests[0]
    made = email_mime.bodies(archive, digest)
    data = email_mime.build_message(site, digest, made, site.lists[0]).as_bytes()
    message = parse(data)
    assert message["Bcc"] is None and len(message.get_all("From")) == 1
    assert not re.search(rb"^Bcc", data, re.M | re.I)


def test_a_long_subject_cuts_its_topics_at_a_word_and_keeps_the_fixed_words(scratch: Path) -> None:
    topics = "".join(f"## Topic number {n} about something else entirely\n\nNotes.\n\n" for n in range(8))
    (scratch / "001.md").write_text(digest_text(1, "intro: false\n", topics), encoding="utf-8")
    archive = load_archive(scratch, TEMPLATES, TODAY)
    [eml] = [o.data for o in email_mime.render(archive, archive.digests[0]) if o.path.endswith(".eml")]
    subject = parse(eml)["Subject"]
    assert letter.SUBJECT_LIMIT - 15 < len(subject) <= letter.SUBJECT_LIMIT
    assert subject.startswith("#001: Topic number 0 about") and subject.endswith("… (Clinic digest)")
    full = "; ".join(f"Topic number {n} about something else entirely" for n in range(8))
    kept = subject.removeprefix("#001: ").removesuffix("… (Clinic digest)")
    assert full.startswith(kept) and full[len(kept)] == " "  # cut at a word


def test_the_subject_leads_with_what_differs_between_calls(built: dict[str, bytes]) -> None:
    """In an 80-column index, the list's tag and ~40 columns of subject show: the number and topic come first."""
    subjects = [parse(data)["Subject"] for name, data in sorted(built.items()) if name.endswith(".eml")]
    assert subjects and all(s.startswith(("#0", "n.º 0")) for s in subjects), subjects
    shown = ["[Wikimedia-l] " + s for s in subjects]
    assert len({s[:40] for s in shown}) == len(set(subjects))


def test_fitted_subject_shortens_only_the_topics() -> None:
    def pattern(topics: str) -> str:
        return f"#001: {topics} (Clinic digest)"

    assert letter.fitted_subject(pattern, "One; Two") == "#001: One; Two (Clinic digest)"
    assert letter.fitted_subject(pattern, "one two three four five", 30) == "#001: one two… (Clinic digest)"
    assert letter.fitted_subject(pattern, "A\nB\u202e", 150) == "#001: A B (Clinic digest)"


def test_shorten() -> None:
    assert letter.shorten("short", 150) == "short"
    assert letter.shorten("one two three; four", 16) == "one two three…"
    assert letter.shorten("x" * 40, 20) == "x" * 19 + "…"


@pytest.mark.parametrize(("value", "raw"), [
    ("Wikimedia Clinics <clinics@example.org>", True), ("clinics@example.org", True),
    ("Clínicas de Wikimedia <clinicas@example.org>", True), ('"Clinics, Wikimedia" <clinics@example.org>', True),
    ("A very long display name of a sender that goes on and on past the fold <a.long.address@lists.example.org>",
     True),  # folded before the address: continuation lines, written raw as they are
    # The package breaks the line right after "From:", or leaves a line over 78 characters that the
    # generator would fold anew: set as an Address, parsed for each message.
    ("Клиники Викимедиа <clinics@example.org>", False),
    ("Clinics (Technical_Clinics_announcements_and_digests_of_the_Wikimedia_Foundation_team) <a@example.org>",
     False),
    ("Technical Clinics https://meta.wikimedia.org/wiki/Special:MyLanguage/Technical_Clinics_announcements "
     "<clinics@example.org>", False),
    ("Cliniques techniques de Wikimédia — annonces et résumés des appels <" + "c" * 56 + "@lists.wikimedia.org>",
     False),
    ("', ." + "y" * 85 + ",) <first.last@lists.wikimedia.org>", False)])
def test_address_headers_set_verbatim_are_written_as_the_email_package_writes_them(value: str, raw: bool) -> None:
    parsed = EmailMessage(policy=email.policy.SMTP)
    parsed["From"] = email_mime._address(value)
    made = EmailMessage(policy=email_mime.POLICY)
    email_mime._set_address(made, "From", value)
    assert made.as_bytes() == parsed.as_bytes()
    assert str(made["From"]) == str(parsed["From"])
    assert (email_mime._folded_address("From", value) is not None) == raw
