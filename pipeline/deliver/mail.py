"""`clinics send ID --list NAME`: mail one digest version to one list, once, and log it beside the digests.

A dry run unless --yes: it prints the headers and a summary of what would be sent. With --yes
the message goes over SMTP (host, port, STARTTLS and user from site.yaml; the password from the
environment variable that site.yaml names) and the send is logged in <digests>/sent-log.jsonl,
one JSON object a line, appended and synced:

    {"event": "sending", …}   written before the message leaves
    {"event": "sent", …}      the server accepted it
    {"event": "failed", …}    the server refused it, or it was never handed over

A version that was sent to a list is not sent to it again unless --resend says so. A send that
failed can simply be run again. A send interrupted while the server was receiving the message
("sending" with no outcome) may or may not have reached the list: it is refused until someone
has looked at the list's archive and passes --resend.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import smtplib
import ssl
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import IO

from pipeline.build.files import sync_folder
from pipeline.model.archive import Archive
from pipeline.model.diagnostics import ClinicsError, Diagnostic
from pipeline.model.digest import Status
from pipeline.model.settings import ListFormat, MailingList, address_of
from pipeline.read.sentlog import SENT_LOG
from pipeline.render.calendar import event_version
from pipeline.render.email.announce import announce, build_announcement
from pipeline.render.email.letter import Bodies
from pipeline.render.email.mime import bodies, build_message, size_warning

TIMEOUT = 60  # seconds an SMTP server may take to answer


class SendError(ClinicsError):
    """A send that must not or could not happen."""


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    starttls: bool
    user: str = ""
    password: str = field(default="", repr=False)
    password_env: str = ""

    def describe(self) -> str:
        """Return where and how the message would go, never the password."""
        tls = "TLS" if self.port == 465 else "STARTTLS" if self.starttls else "no encryption"
        text = f"{self.host}:{self.port} with {tls}"
        if self.user and self.password:
            text += f", as {self.user} (password from ${self.password_env})"
        elif self.user:
            where = f"${self.password_env} is not set" if self.password_env else "no password_env in site.yaml"
            text += f", without logging in ({where})"
        return text


def server_for(archive: Archive, host: str | None = None, port: int | None = None,
               starttls: bool | None = None) -> Server:
    """Return the SMTP server of site.yaml, with the command line's overrides."""
    smtp = archive.site.smtp
    password = os.environ.get(smtp.password_env, "") if smtp.password_env else ""
    return Server(host or smtp.host, port or smtp.port, smtp.starttls if starttls is None else starttls,
                  smtp.user, password, smtp.password_env)


@dataclass(frozen=True)
class Record:
    """One line of the sent log."""

    event: str  # "sending", "sent" or "failed"
    id: str
    list: str
    message_id: str
    date: str  # ISO 8601, UTC
    address: str = ""
    source: str = ""  # sha256 of the digest file that was sent
    error: str = ""
    content: str = ""  # an announcement: the hash of its event's content (render/calendar.py)
    sequence: int = -1  # an announcement: the event's SEQUENCE


_EVENT_FIELDS = {"content": "", "sequence": -1}  # written for announcements only


class SentLog:
    """The sent log beside the digests: read whole, appended one synced line at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.torn = ""  # a last line cut short, as records() found it

    def records(self) -> list[Record]:
        """Return every record; raise SendError at a line that cannot be read.

        A last line cut short (no line end) is what a send leaves when it is stopped while logging:
        it stands for an attempt whose outcome is unknown, and `attempts` answers for it.
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except UnicodeDecodeError as exc:
            raise SendError(f"{self.path}: the sent log is not UTF-8 text ({exc.reason} at byte {exc.start})",
                            "restore it from a backup; nothing was sent") from exc
        found = []
        lines = text.split("\n")
        self.torn = lines[-1] if lines[-1].strip() else ""
        for number, line in enumerate(lines[:-1], 1):
            if not line.strip():
                continue
            try:
                found.append(Record(**json.loads(line)))
            except (ValueError, TypeError) as exc:
                raise SendError(f"{self.path}:{number}: the sent log has a line that cannot be read ({exc})",
                                "restore that line from a backup; nothing was sent") from exc
        return found

    def attempts(self, digest_id: str, list_name: str) -> list[Record]:
        """Return the latest record of each message sent (or tried) for `digest_id` and `list_name`.

        A cut last line counts as an interrupted send of every version to every list: which one it was
        for cannot be read, so none may go out again without --resend.
        """
        latest: dict[str, Record] = {}
        for record in self.records():
            if record.id == digest_id and record.list == list_name:
                latest[record.message_id] = record
        if self.torn:
            latest["(cut line)"] = Record("sending", digest_id, list_name, "(unknown: the log's last line is cut "
                                          "short)", "(unknown)")
        return list(latest.values())

    @contextlib.contextmanager
    def locked(self) -> Iterator[IO[bytes]]:
        """Hold the log for one send, or raise SendError when another send holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        try:  # never through a symbolic link: the appends would go where it points
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
            raise SendError(f"{self.path} is a symbolic link, not the sent log", "replace it with the log itself; "
                            "nothing was sent") from exc
        with os.fdopen(fd, "ab", buffering=0) as handle:
            if created:
                sync_folder(self.path.parent)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise SendError(f"another send is using {self.path}", "wait for it to finish") from exc
            yield handle

    def append(self, handle: IO[bytes], record: Record) -> None:
        """Append `record` as one line and make it durable before going on; raise OSError if it could not.

        A write that fails or is cut short (a full disk) is undone: the log is cut back to where it
        was, so that it never holds half a line of ours.
        """
        fields = {k: v for k, v in asdict(record).items() if k not in _EVENT_FIELDS or v != _EVENT_FIELDS[k]}
        line = (json.dumps(fields, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        fd = handle.fileno()
        start = os.fstat(fd).st_size
        if start and self._last_byte(fd, start) != b"\n":
            line = b"\n" + line  # after a line an earlier send left cut short
        try:
            written = 0
            while written < len(line):
                count = self.write(fd, line[written:])
                if count <= 0:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))
                written += count
            os.fsync(fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, start)
                os.fsync(fd)
            raise

    @staticmethod
    def _last_byte(fd: int, size: int) -> bytes:
        return os.pread(fd, 1, size - 1)

    # The one place the log's bytes are written: tests replace it to fill the disk at a known point.
    write = staticmethod(os.write)


@dataclass(frozen=True)
class Mailable:
    """What can be sent: a digest version, or the announcement of a scheduled call."""

    id: str  # "006.en", "announce-010"
    language: str
    source: str  # a hash of what it was made from, for the sent log
    bodies: Bodies
    size_warning: Diagnostic | None
    build: Callable[[MailingList, dt.datetime | None, int], EmailMessage]
    event: tuple[str, int] = ("", -1)  # an announcement: its event's content hash and SEQUENCE


def find(archive: Archive, item_id: str, list_name: str) -> tuple[Mailable, MailingList]:
    """Return the item and the list named; raise SendError when they do not go together."""
    item = _announcement(archive, item_id) if item_id.startswith("announce-") else _digest(archive, item_id)
    mailing_list = next((m for m in archive.site.lists if m.name == list_name), None)
    if mailing_list is None:
        known = ", ".join(m.name for m in archive.site.lists) or "none"
        raise SendError(f"there is no mailing list '{list_name}' in {archive.site.path}", f"known lists: {known}")
    if item.language not in mailing_list.languages:
        takers = [m.name for m in archive.site.lists if item.language in m.languages]
        raise SendError(f"{mailing_list.name} does not take messages in '{item.language}'",
                        f"lists that do: {', '.join(takers)}" if takers else
                        f"add '{item.language}' to the list's languages in {archive.site.path}")
    return item, mailing_list


def _digest(archive: Archive, digest_id: str) -> Mailable:

    digest = next((d for d in archive.digests if d.id == digest_id), None)
    if digest is None:
        known = ", ".join(d.id for d in archive.digests) or "none"
        raise SendError(f"there is no digest '{digest_id}' in {archive.folder}",
                        f"known versions: {known}; announcements: announce-NNN")
    if digest.meta.status is not Status.FINAL:
        raise SendError(f"{digest.id} is a draft; drafts are never sent", f"set 'status: final' in {digest.path}")
    made = bodies(archive, digest)
    return Mailable(digest.id, digest.language, digest.source_hash, made, size_warning(digest, made.html),
                    lambda mailing_list, date, serial: build_message(archive.site, digest, made, mailing_list,
                                                                     date, serial))


def _announcement(archive: Archive, item_id: str) -> Mailable:

    number = item_id.removeprefix("announce-")
    call = next((c for c in archive.calls if c.number_text == number), None)
    if call is None:
        known = ", ".join(f"announce-{c.number_text}" for c in archive.calls) or "none"
        raise SendError(f"call {number} is not in the schedule", f"scheduled: {known}")
    made = announce(archive, call)
    source = hashlib.sha256(made.ics + made.bodies.text.encode("utf-8")).hexdigest()
    return Mailable(made.id, call.language, source, made.bodies, None,
                    lambda mailing_list, date, serial: build_announcement(archive.site, made, mailing_list,
                                                                          date, serial),
                    event_version(call, archive.site, archive.sent_events.get(call.number)))


@dataclass(frozen=True)
class Outcome:
    sent: bool
    message: EmailMessage
    record: Record | None = None


def send(archive: Archive, digest_id: str, list_name: str, server: Server, *, yes: bool = False,
         resend: bool = False, strict: bool = False, now: dt.datetime | None = None, log: SentLog | None = None,
         out: IO[str] = sys.stdout, err: IO[str] = sys.stderr) -> Outcome:
    """Send (or with yes=False describe) `digest_id` to `list_name`; raise SendError when it must not go."""
    digest, mailing_list = find(archive, digest_id, list_name)
    log = log or SentLog(archive.folder / SENT_LOG)
    made = digest.bodies
    problem = digest.size_warning if mailing_list.format is ListFormat.MULTIPART else None
    if problem is not None:
        print(problem.format(), file=err)
        if strict:
            raise SendError("a warning stops the send under --strict", "fix it, or send without --strict")
    if not yes:
        message = digest.build(mailing_list, None, _serial(log.attempts(digest.id, mailing_list.name)))
        _describe(out, message, made.text, made.html, mailing_list, server, log, digest)
        return Outcome(False, message)
    with log.locked() as handle:
        attempts = log.attempts(digest.id, mailing_list.name)
        if not resend:
            _refuse_repeat(attempts, digest, mailing_list)
        when = now or dt.datetime.now(dt.timezone.utc)
        message = digest.build(mailing_list, when.astimezone(), _serial(attempts))
        record = Record("sending", digest.id, mailing_list.name, str(message["Message-ID"]),
                        when.astimezone(dt.timezone.utc).isoformat(timespec="seconds"), mailing_list.address,
                        digest.source, content=digest.event[0], sequence=digest.event[1])
        try:
            log.append(handle, record)
        except OSError as exc:
            raise SendError(f"{digest.id} was not sent to {mailing_list.name}: the sent log {log.path} could not "
                            f"record the send ({exc.strerror or exc})",
                            "make room (or fix the folder's permissions), then run the same command again") from exc
        try:
            _deliver(server, message, archive.site.sender, mailing_list.address)
        except _NotSent as exc:
            with contextlib.suppress(OSError):  # a failed send logged as 'sending' only is refused as unknown
                log.append(handle, _replace(record, event="failed", error=str(exc)))
            raise SendError(f"{digest.id} was not sent to {mailing_list.name}: {exc}",
                            "fix the cause and run the same command again") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(
                f"the connection failed while the server was receiving {digest.id} for {mailing_list.name} "
                f"({_smtp_reason(exc)}); it may or may not have been sent",
                "look for it in the list's archive; if it is not there, run again with --resend") from exc
        sent = _replace(record, event="sent")
        try:
            log.append(handle, sent)
        except OSError as exc:
            raise SendError(
                f"{digest.id} was sent to {mailing_list.name} as {sent.message_id}, but the sent log could not "
                f"record it ({exc.strerror or exc}); its line 'sending' stays, so a new send of {digest.id} to "
                f"{mailing_list.name} is refused without --resend",
                "make room; the message went out: do not send it again") from exc
    print(f"sent {digest.id} to {mailing_list.name} <{mailing_list.address}> as {sent.message_id}; "
          f"logged in {log.path}", file=out)
    return Outcome(True, message, sent)


def _replace(record: Record, **changes: str | int) -> Record:
    return Record(**{**asdict(record), **changes})


def _serial(attempts: list[Record]) -> int:
    """Return how many messages may already have reached the list: a new send needs a new Message-ID."""
    return sum(1 for record in attempts if record.event != "failed")


def _refuse_repeat(attempts: list[Record], digest: Mailable, mailing_list: MailingList) -> None:
    for record in attempts:
        if record.event == "sent":
            raise SendError(f"{digest.id} was already sent to {mailing_list.name} on {record.date} "
                            f"(Message-ID {record.message_id})", "add --resend to send it again anyway")
    for record in attempts:
        if record.event == "sending":
            raise SendError(
                f"a send of {digest.id} to {mailing_list.name} started on {record.date} was interrupted while "
                f"the server was receiving it (Message-ID {record.message_id})",
                "look for it in the list's archive; if it is not there, run again with --resend")


class _NotSent(Exception):
    """The server certainly does not have the message: a new try is safe."""


def _deliver(server: Server, message: EmailMessage, sender: str, recipient: str) -> None:
    """Hand `message` to the server; raise _NotSent when it certainly did not take it."""
    if not server.host or not server.port:
        raise _NotSent("no SMTP server: set smtp.host and smtp.port in site.yaml, or pass --smtp-host/--smtp-port")
    context = ssl.create_default_context()
    try:
        if server.port == 465:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT)
    except (OSError, smtplib.SMTPException) as exc:
        raise _NotSent(f"cannot connect to {server.host}:{server.port}: {_smtp_reason(exc)}") from exc
    except KeyboardInterrupt as exc:
        raise _NotSent("interrupted before connecting") from exc
    try:
        _transfer(smtp, server, message, address_of(sender), recipient, context)
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.quit()
        smtp.close()


def _transfer(smtp: smtplib.SMTP, server: Server, message: EmailMessage, sender: str, recipient: str,
              context: ssl.SSLContext) -> None:
    try:
        smtp.ehlo()
        if server.starttls and server.port != 465:
            smtp.starttls(context=context)
            smtp.ehlo()
        if server.user and server.password:
            smtp.login(server.user, server.password)
        code, reply = smtp.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    except (OSError, smtplib.SMTPException) as exc:
        raise _NotSent(_smtp_reason(exc)) from exc
    except KeyboardInterrupt as exc:
        raise _NotSent("interrupted before the message was handed over") from exc
    try:
        code, reply = smtp.data(message.as_bytes())  # from here on an interruption leaves the outcome unknown
    except smtplib.SMTPDataError as exc:
        raise _NotSent(_smtp_reason(exc)) from exc
    if code != 250:
        raise _NotSent(_smtp_reason(smtplib.SMTPDataError(code, reply)))


def _smtp_reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"the server answered {exc.smtp_code} {reply}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the server refused the recipient: " + "; ".join(
            f"{who}: {code} {reply.decode('utf-8', 'replace')}" for who, (code, reply) in exc.recipients.items())
    return str(exc) or type(exc).__name__


def _describe(out: IO[str], message: EmailMessage, text: str, html: str, mailing_list: MailingList,
              server: Server, log: SentLog, digest: Mailable) -> None:
    """Print what would be sent."""
    kind = "plain" if mailing_list.format is ListFormat.PLAIN else "multipart"
    parts = f"text/plain ({len(text.encode()):,} bytes, {text.count(chr(10))} lines)"
    if kind == "multipart":
        parts = f"multipart/alternative: {parts}, then text/html ({len(html.encode()):,} bytes)"
    lines = [f"Dry run: {digest.id} to {mailing_list.name} ({kind}). Nothing was sent; add --yes to send it.", ""]
    for name in ("From", "To", "Subject", "Message-ID", "Content-Language"):
        lines.append(f"{name}: {message[name]}")
    lines += ["Date: the moment it is sent", "", f"Body:     {parts}", f"Server:   {server.describe()}",
              f"Sent log: {log.path}: {_history(log.attempts(digest.id, mailing_list.name))}"]
    print("\n".join(lines), file=out)


def _history(attempts: list[Record]) -> str:
    done = [r for r in attempts if r.event == "sent"]
    if done:
        return f"already sent on {done[-1].date}; --yes would refuse without --resend"
    if any(r.event == "sending" for r in attempts):
        return "an earlier send was interrupted; --yes would refuse without --resend"
    return "not sent to this list yet"
