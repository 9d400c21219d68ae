"""`clinics send` against a real SMTP server on 127.0.0.1 (aiosmtpd): delivery, the sent log, dry runs."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import TEMPLATES, run_cli
from smtp import SENDER, Inbox, free_port, inbox, server  # noqa: F401 - the SMTP server fixture

from pipeline.check.archive import load_archive
from pipeline.deliver import mail as send
from pipeline.model.archive import Archive
from pipeline.render.email import mime as email_mime

NOW = dt.datetime(2020, 7, 20, 9, 30, tzinfo=dt.timezone.utc)


@pytest.fixture
def archive(example: Path) -> Archive:
    """Return a copy of the example archive, so that its sent log is the test's own."""
    return load_archive(example, TEMPLATES, dt.date(2026, 1, 1))


def log_events(archive: Archive) -> list[tuple[str, str, str]]:
    path = archive.folder / send.SENT_LOG
    return [(r["event"], r["id"], r["list"]) for r in map(json.loads, path.read_text().splitlines())]


def deliver(archive: Archive, port: int, digest_id: str = "006.en", list_name: str = "wikimedia-l",
            **options: Any) -> send.Outcome:
    return send.send(archive, digest_id, list_name, options.pop("via", server(port)), yes=True, now=NOW,
                     out=io.StringIO(), **options)


def test_the_server_receives_the_built_message_dated_now(archive: Archive, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    outcome = deliver(archive, port)
    [(mail_from, rcpt_tos, data, authenticated)] = handler.received
    assert (mail_from, rcpt_tos, authenticated) == (SENDER, ["wikimedia-l@lists.wikimedia.org"], False)
    received = email.message_from_bytes(data, policy=email.policy.default)
    digest = next(d for d in archive.digests if d.id == "006.en")
    built = email.message_from_bytes(
        next(o.data for o in email_mime.render(archive, digest) if o.path == "email/wikimedia-l/006.en.eml"),
        policy=email.policy.default)
    assert parsedate_to_datetime(received["Date"]) == NOW
    for name in ("From", "To", "Subject", "Message-ID", "Content-Language", "Content-Type"):
        assert received[name] == built[name], name
    assert received.get_content() == built.get_content()
    assert log_events(archive) == [("sending", "006.en", "wikimedia-l"), ("sent", "006.en", "wikimedia-l")]
    record = json.loads((archive.folder / send.SENT_LOG).read_text().splitlines()[-1])
    assert record["message_id"] == received["Message-ID"] == str(outcome.message["Message-ID"])
    assert record["date"] == "2020-07-20T09:30:00+00:00" and record["source"] == digest.source_hash


def test_a_version_goes_to_a_list_once_unless_resent(archive: Archive, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    first = deliver(archive, port)
    with pytest.raises(send.SendError) as refused:
        deliver(archive, port)
    assert str(refused.value) == (f"006.en was already sent to wikimedia-l on 2020-07-20T09:30:00+00:00 "
                                  f"(Message-ID {first.message['Message-ID']})")
    assert refused.value.hint == "add --resend to send it again anyway"
    assert len(handler.received) == 1
    again = deliver(archive, port, resend=True)
    assert len(handler.received) == 2
    assert again.message["Message-ID"] != first.message["Message-ID"]
    assert ".1." in again.message["Message-ID"]
    deliver(archive, port, digest_id="006.es", list_name="iberocoop")  # another version, another list
    assert len(handler.received) == 3


def test_a_dry_run_sends_and_logs_nothing(archive: Archive, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    out = io.StringIO()
    outcome = send.send(archive, "006.es", "iberocoop", server(port), out=out)
    assert not outcome.sent and handler.received == []
    assert not (archive.folder / send.SENT_LOG).exists()
    shown = out.getvalue()
    assert shown.startswith("Dry run: 006.es to iberocoop (multipart). Nothing was sent; add --yes to send it.\n")
    assert "Subject: n.º 006: Impacto de la pandemia" in shown
    assert "To: iberocoop@lists.wikimedia.org\n" in shown
    assert "Body:     multipart/alternative: text/plain (" in shown
    assert f"Server:   127.0.0.1:{port} with no encryption, without logging in" in shown
    assert "not sent to this list yet" in shown


def test_a_refused_send_is_logged_and_can_be_run_again(archive: Archive, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    handler.replies = ["554 5.7.1 Message rejected"]
    with pytest.raises(send.SendError) as failed:
        deliver(archive, port)
    assert "006.en was not sent to wikimedia-l: the server answered 554 5.7.1 Message rejected" in str(failed.value)
    assert log_events(archive) == [("sending", "006.en", "wikimedia-l"), ("failed", "006.en", "wikimedia-l")]
    retry = deliver(archive, port)
    assert len(handler.received) == 1
    assert ".1." not in retry.message["Message-ID"]  # nobody has the first one: no need for a new id


def test_no_server_means_not_sent(archive: Archive) -> None:
    with pytest.raises(send.SendError) as failed:
        deliver(archive, 0, via=server(free_port()))
    assert "cannot connect to 127.0.0.1:" in str(failed.value)
    assert [event for event, _, _ in log_events(archive)] == ["sending", "failed"]


def test_starttls_asked_for_but_not_offered_sends_nothing(archive: Archive, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    with pytest.raises(send.SendError) as failed:
        deliver(archive, port, via=server(port, starttls=True))
    assert "STARTTLS" in str(failed.value)
    assert handler.received == []


def test_an_interrupted_send_waits_for_resend(archive: Archive, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    message_id = email_mime.message_id(archive.site, "006.en", "wikimedia-l")
    record = {"event": "sending", "id": "006.en", "list": "wikimedia-l", "message_id": message_id,
              "date": "2020-07-19T10:00:00+00:00", "address": "", "source": "", "error": ""}
    (archive.folder / send.SENT_LOG).write_text(json.dumps(record) + "\n")
    with pytest.raises(send.SendError) as refused:
        deliver(archive, port)
    assert "was interrupted while the server was receiving it" in str(refused.value)
    assert refused.value.hint == "look for it in the list's archive; if it is not there, run again with --resend"
    resent = deliver(archive, port, resend=True)
    assert resent.message["Message-ID"] != message_id and len(handler.received) == 1


def test_it_logs_in_only_with_a_password(archive: Archive, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    deliver(archive, port, via=server(port, password="s3cret"))
    assert handler.logins == [(SENDER.encode(), b"s3cret")] and handler.received[0][3] is True
    deliver(archive, port, digest_id="006.es", list_name="iberocoop")
    assert len(handler.logins) == 1 and handler.received[1][3] is False


def test_a_wrong_password_sends_nothing(archive: Archive, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    with pytest.raises(send.SendError) as failed:
        deliver(archive, port, via=server(port, password="wrong"))
    assert "the server answered 535" in str(failed.value)
    assert handler.received == [] and log_events(archive)[-1][0] == "failed"


def test_the_password_comes_from_the_environment(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINICS_SMTP_PASSWORD", "from-env")
    configured = send.server_for(archive, port=2525)
    assert (configured.host, configured.port, configured.starttls) == ("smtp.wikimedia.org", 2525, True)
    assert configured.password == "from-env" and "from-env" not in repr(configured)
    assert "from-env" not in configured.describe()
    monkeypatch.delenv("CLINICS_SMTP_PASSWORD")
    assert send.server_for(archive).password == ""


def test_what_cannot_be_sent(archive: Archive, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    cases = {
        ("012", "wikimedia-l"): "there is no digest '012' in ",
        ("006.en", "wikimedia-x"): "there is no mailing list 'wikimedia-x' in ",
        ("006.es", "wikimedia-l"): "wikimedia-l does not take messages in 'es'",
    }
    for (digest_id, list_name), message in cases.items():
        with pytest.raises(send.SendError) as refused:
            deliver(archive, port, digest_id=digest_id, list_name=list_name)
        assert message in str(refused.value)
    assert handler.received == [] and not (archive.folder / send.SENT_LOG).exists()


def test_a_draft_is_never_sent(example: Path, inbox: tuple[Inbox, int]) -> None:
    path = example / "009.md"
    path.write_text(path.read_text().replace("---\n", "---\nstatus: draft\n", 1))
    archive = load_archive(example, TEMPLATES, dt.date(2026, 1, 1))
    with pytest.raises(send.SendError) as refused:
        deliver(archive, inbox[1], digest_id="009")
    assert str(refused.value) == "009 is a draft; drafts are never sent"


def test_an_unreadable_log_line_stops_the_send(archive: Archive, inbox: tuple[Inbox, int]) -> None:
    (archive.folder / send.SENT_LOG).write_text('{"event": "sent", "id": "006.en"\n')
    with pytest.raises(send.SendError) as refused:
        deliver(archive, inbox[1])
    assert f"{archive.folder / send.SENT_LOG}:1: the sent log has a line that cannot be read" in str(refused.value)
    assert inbox[0].received == []


def test_one_send_at_a_time(archive: Archive, inbox: tuple[Inbox, int]) -> None:
    log = send.SentLog(archive.folder / send.SENT_LOG)
    with log.locked():
        with pytest.raises(send.SendError, match="another send is using"):
            deliver(archive, inbox[1])
    assert inbox[0].received == []


def test_the_command_line(example: Path, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    common = ("send", "006.en", "--list", "wikimedia-l", "--digests", example, "--smtp-host", "127.0.0.1",
              "--smtp-port", str(port), "--no-starttls")
    dry = run_cli(*common)
    assert dry.status == 0, dry.err
    assert dry.out.startswith("Dry run: 006.en to wikimedia-l (plain).") and handler.received == []
    sent = run_cli(*common, "--yes")
    assert sent.status == 0, sent.err
    assert sent.out.startswith("sent 006.en to wikimedia-l <wikimedia-l@lists.wikimedia.org> as <006.en.")
    assert len(handler.received) == 1
    again = run_cli(*common, "--yes")
    assert again.status == 1 and "error: 006.en was already sent to wikimedia-l" in again.err
    assert "hint: add --resend to send it again anyway" in again.err
    assert run_cli(*common, "--yes", "--resend").status == 0 and len(handler.received) == 2
    usage = run_cli("send", "006.en", "--digests", example)
    assert usage.status == 2 and "--list" in usage.err
