"""The sent log's reader and writer on their own (`make mutate MODULE=sentlog`): what each line holds, what is
refused with which message, and how a write is made whole or undone.
"""
from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import pytest

from pipeline.deliver.mail import Record, SendError, SentLog

SENT = Record("sent", "006.en", "wikimedia-l", "<a@x>", "2026-01-01T10:00:00+00:00", "l@example.org", "abc")


def line(record: Record) -> str:
    """Return the line the log writes for `record`: an announcement's event fields only when they are set."""
    fields = {k: v for k, v in record.__dict__.items() if (k, v) not in (("content", ""), ("sequence", -1))}
    return json.dumps(fields, ensure_ascii=False, sort_keys=True) + "\n"


def test_a_missing_log_has_no_records(tmp_path: Path) -> None:
    log = SentLog(tmp_path / "sent-log.jsonl")
    assert log.records() == [] and log.attempts("006.en", "wikimedia-l") == [] and log.torn == ""


def test_records_in_order_blank_lines_skipped(tmp_path: Path) -> None:
    path = tmp_path / "sent-log.jsonl"
    other = Record("failed", "007", "wikimedia-l", "<b@x>", "d", error="refused")
    path.write_text(line(SENT) + "\n  \n" + line(other), encoding="utf-8")
    log = SentLog(path)
    assert log.records() == [SENT, other] and log.torn == ""


def test_a_last_line_cut_short_counts_as_an_attempt_at_everything(tmp_path: Path) -> None:
    path = tmp_path / "sent-log.jsonl"
    path.write_text(line(SENT) + '{"event": "send', encoding="utf-8")
    log = SentLog(path)
    assert log.records() == [SENT] and log.torn == '{"event": "send'
    assert log.attempts("009", "other-l") == [
        Record("sending", "009", "other-l", "(unknown: the log's last line is cut short)", "(unknown)")]
    path.write_text(line(SENT) + "  ", encoding="utf-8")
    assert log.records() == [SENT] and log.torn == ""
    assert log.attempts("009", "other-l") == []


def test_attempts_keep_the_latest_record_of_each_message(tmp_path: Path) -> None:
    path = tmp_path / "sent-log.jsonl"
    sending = Record("sending", "006.en", "wikimedia-l", "<a@x>", "d0")
    elsewhere = Record("sent", "006.en", "other-l", "<c@x>", "d")
    another = Record("sent", "006.es", "wikimedia-l", "<d@x>", "d")
    second = Record("sending", "006.en", "wikimedia-l", "<e@x>", "d2")
    path.write_text("".join(map(line, (sending, elsewhere, SENT, another, second))), encoding="utf-8")
    assert SentLog(path).attempts("006.en", "wikimedia-l") == [SENT, second]


@pytest.mark.parametrize("text, problem", [
    ("{not json}\n", "1: the sent log has a line that cannot be read (Expecting property name enclosed in double "
                     "quotes: line 1 column 2 (char 1))"),
    ('\n{"event": "sent"}\n', "2: the sent log has a line that cannot be read (Record.__init__() missing 4 "
                              "required positional arguments: 'id', 'list', 'message_id', and 'date')"),
    ('{"colour": 1}\n', "1: the sent log has a line that cannot be read (Record.__init__() got an unexpected "
                        "keyword argument 'colour')"),
])
def test_a_line_that_cannot_be_read_is_named(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "sent-log.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SendError) as raised:
        SentLog(path).records()
    assert str(raised.value) == f"{path}:{problem}"
    assert raised.value.hint == "restore that line from a backup; nothing was sent"


def test_a_log_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "sent-log.jsonl"
    path.write_bytes(line(SENT).encode() + b"\xff\n")
    with pytest.raises(SendError) as raised:
        SentLog(path).records()
    assert str(raised.value) == f"{path}: the sent log is not UTF-8 text (invalid start byte at byte {len(line(SENT))})"
    assert raised.value.hint == "restore it from a backup; nothing was sent"


def test_append_writes_one_sorted_line_as_typed(tmp_path: Path) -> None:
    path = tmp_path / "new" / "sent-log.jsonl"
    log = SentLog(path)
    record = Record("sent", "006.es", "lista-es", "<ñ@x>", "d", "ñ@example.org")
    with log.locked() as handle:
        log.append(handle, record)
        log.append(handle, SENT)
    assert path.read_bytes() == (
        '{"address": "ñ@example.org", "date": "d", "error": "", "event": "sent", "id": "006.es", "list": "lista-es", '
        '"message_id": "<ñ@x>", "source": ""}\n').encode() + line(SENT).encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644 & ~_umask()
    assert log.records() == [record, SENT]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_append_after_a_cut_line_starts_a_new_line(tmp_path: Path) -> None:
    path = tmp_path / "sent-log.jsonl"
    path.write_text(line(SENT) + '{"event": "send', encoding="utf-8")
    log = SentLog(path)
    with log.locked() as handle:
        log.append(handle, SENT)
    assert path.read_text(encoding="utf-8") == line(SENT) + '{"event": "send\n' + line(SENT)


@pytest.mark.parametrize("chunk", [1, 5])
def test_append_goes_on_after_a_short_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    sizes = []

    def write(fd: int, data: bytes) -> int:
        sizes.append(len(data))
        return os.write(fd, data[:chunk])

    monkeypatch.setattr(SentLog, "write", staticmethod(write))
    path = tmp_path / "sent-log.jsonl"
    log = SentLog(path)
    with log.locked() as handle:
        log.append(handle, SENT)
    assert path.read_text(encoding="utf-8") == line(SENT)
    assert sizes[0] == len(line(SENT).encode()) and sizes[1] == sizes[0] - chunk
    assert len(sizes) == -(-sizes[0] // chunk)


@pytest.mark.parametrize("written", [0, -1])
def test_a_write_that_writes_nothing_is_a_full_disk_and_is_undone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   written: int) -> None:
    calls = []

    def write(fd: int, data: bytes) -> int:
        calls.append(data)
        if len(calls) == 1:
            return os.write(fd, data[:9])
        return written

    monkeypatch.setattr(SentLog, "write", staticmethod(write))
    path = tmp_path / "sent-log.jsonl"
    path.write_text(line(SENT), encoding="utf-8")
    log = SentLog(path)
    with log.locked() as handle, pytest.raises(OSError) as raised:
        log.append(handle, SENT)
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(path)
    assert str(raised.value) == f"[Errno {errno.ENOSPC}] No space left on device: '{path}'"
    assert path.read_text(encoding="utf-8") == line(SENT) and len(calls) == 2


def test_a_failing_write_is_undone_and_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def write(fd: int, data: bytes) -> int:
        os.write(fd, data[:3])
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(SentLog, "write", staticmethod(write))
    path = tmp_path / "sent-log.jsonl"
    path.write_text(line(SENT) + "{cut", encoding="utf-8")
    log = SentLog(path)
    with log.locked() as handle, pytest.raises(OSError, match="I/O error"):
        log.append(handle, SENT)
    assert path.read_text(encoding="utf-8") == line(SENT) + "{cut"


def test_one_holder_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "sent-log.jsonl"
    log = SentLog(path)
    with log.locked():
        with pytest.raises(SendError) as raised, SentLog(path).locked():
            pass
        assert str(raised.value) == f"another send is using {path}"
        assert raised.value.hint == "wait for it to finish"
    with SentLog(path).locked() as handle:  # released when the first send ends
        assert handle.mode == "ab"
    assert path.read_bytes() == b""


def test_a_symbolic_link_is_refused_and_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("theirs\n", encoding="utf-8")
    path = tmp_path / "sent-log.jsonl"
    path.symlink_to(target)
    with pytest.raises(SendError) as raised, SentLog(path).locked():
        pass
    assert str(raised.value) == f"{path} is a symbolic link, not the sent log"
    assert raised.value.hint == "replace it with the log itself; nothing was sent"
    assert target.read_text(encoding="utf-8") == "theirs\n"


def test_a_log_that_cannot_be_opened_raises_the_os_error(tmp_path: Path) -> None:
    path = tmp_path / "sent-log.jsonl"
    path.mkdir()
    with pytest.raises(IsADirectoryError), SentLog(path).locked():
        pass


def test_a_failing_undo_leaves_the_write_s_error_to_tell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def write(fd: int, data: bytes) -> int:
        raise OSError(errno.EIO, "I/O error")

    def ftruncate(fd: int, length: int) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    path = tmp_path / "sent-log.jsonl"
    log = SentLog(path)
    with log.locked() as handle:
        monkeypatch.setattr(SentLog, "write", staticmethod(write))
        monkeypatch.setattr(os, "ftruncate", ftruncate)
        with pytest.raises(OSError) as raised:
            log.append(handle, SENT)
    assert raised.value.errno == errno.EIO
