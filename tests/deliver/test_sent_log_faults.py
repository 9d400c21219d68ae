"""The sent log when the disk fills or a send is stopped while logging: nothing is ever sent twice without --resend.

Faults are injected at a known point, SentLog.write (the one place the log's bytes are written):
the Nth write of a send fails with ENOSPC, after writing some of its bytes as a full disk does.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from smtp import Inbox, inbox, server  # noqa: F401 - the SMTP server fixture
from test_mail import archive, deliver  # noqa: F401 - the archive fixture

from pipeline.deliver import mail as send
from pipeline.model.archive import Archive


def fill_disk_at(monkeypatch: pytest.MonkeyPatch, failing: int, partial: int = 7) -> None:
    """Make the `failing`th write of the log write `partial` bytes, then fail as a full disk does."""
    calls = {"n": 0}

    def write(fd: int, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] == failing:
            os.write(fd, data[:partial])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return os.write(fd, data)

    monkeypatch.setattr(send.SentLog, "write", staticmethod(write))


def log_text(archive: Archive) -> str:
    path = archive.folder / send.SENT_LOG
    return path.read_text(encoding="utf-8") if path.exists() else ""


def test_a_full_disk_before_sending_sends_nothing_and_leaves_no_half_line(
        archive: Archive, inbox: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch) -> None:
    handler, port = inbox
    fill_disk_at(monkeypatch, failing=1)
    with pytest.raises(send.SendError) as refused:
        deliver(archive, port)
    assert "006.en was not sent to wikimedia-l: the sent log" in str(refused.value)
    assert "No space left on device" in str(refused.value)
    assert handler.received == [] and log_text(archive) == ""
    monkeypatch.undo()
    deliver(archive, port)  # the same command again, once there is room: sent once
    assert len(handler.received) == 1


def test_a_full_disk_after_sending_says_it_went_out_and_refuses_a_second_copy(
        archive: Archive, inbox: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch) -> None:
    handler, port = inbox
    fill_disk_at(monkeypatch, failing=2)
    with pytest.raises(send.SendError) as failed:
        deliver(archive, port)
    assert "006.en was sent to wikimedia-l as <" in str(failed.value)
    assert failed.value.hint == "make room; the message went out: do not send it again"
    assert len(handler.received) == 1
    text = log_text(archive)
    assert text.endswith("\n") and text.count("\n") == 1 and '"event": "sending"' in text  # no half line
    monkeypatch.undo()
    with pytest.raises(send.SendError) as refused:
        deliver(archive, port)
    assert "was interrupted while the server was receiving it" in str(refused.value)
    assert len(handler.received) == 1


def test_a_line_cut_short_by_a_stopped_send_refuses_every_send_without_resend(
        archive: Archive, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    (archive.folder / send.SENT_LOG).write_text('{"address": "wikimedia-l@lists.wikimedia.org", "date": "2020-07-2',
                                               encoding="utf-8")
    for digest_id in ("006.en", "001"):
        with pytest.raises(send.SendError) as refused:
            deliver(archive, port, digest_id)
        assert "was interrupted" in str(refused.value) and "the log's last line is cut short" in str(refused.value)
        assert "--resend" in refused.value.hint
    assert handler.received == []
    deliver(archive, port, resend=True)
    assert len(handler.received) == 1
    lines = log_text(archive).split("\n")
    assert lines[0].endswith('"2020-07-2') and lines[1].startswith('{"address"')  # the new records on lines of their own


def test_the_command_says_what_happened_when_the_log_cannot_be_written(
        example: Path, inbox: tuple[Inbox, int], tmp_path: Path) -> None:
    handler, port = inbox
    log = example / send.SENT_LOG
    log.mkdir()  # a folder where the log should be: it cannot be opened for writing
    from conftest import run_cli

    result = run_cli("send", "006.en", "--list", "wikimedia-l", "--digests", example, "--smtp-host", "127.0.0.1",
                     "--smtp-port", str(port), "--no-starttls", "--yes", "--today", "2026-01-01")
    assert result.status == 1 and "Traceback" not in result.err
    assert handler.received == []


def test_a_sent_log_that_is_a_symlink_is_refused(archive: Archive, inbox: tuple[Inbox, int], tmp_path: Path) -> None:
    handler, port = inbox
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("keep me\n", encoding="utf-8")
    (archive.folder / send.SENT_LOG).symlink_to(elsewhere)
    with pytest.raises(send.SendError) as refused:
        deliver(archive, port)
    assert "is a symbolic link, not the sent log" in str(refused.value)
    assert handler.received == [] and elsewhere.read_text(encoding="utf-8") == "keep me\n"
