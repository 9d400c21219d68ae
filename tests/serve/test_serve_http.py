"""The preview over HTTP: what it serves, what it refuses (paths out of the build, writes, other hosts), its events."""
from __future__ import annotations

import http.client
import json
import os
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import run_cli
from preview import Server, served  # noqa: F401 - the fixture

SECRET = "never-served-4f1c"


def _get(server: Server, path: str, method: str = "GET", host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """Send `path` exactly as written (no normalising client in between); return status, headers, body."""
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host or address.netloc)
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def test_the_pages_and_outputs_it_serves(served: Server) -> None:
    status, headers, body = _get(served, "/")
    assert status == 200 and b"006.es.md" in body
    assert "script-src 'self'" in headers["content-security-policy"]
    status, headers, body = _get(served, "/digest/006.es/email/006.es.html")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert "sandbox" in headers["content-security-policy"]  # the email runs nothing, even opened alone
    assert body.startswith(b"<!DOCTYPE html") or b"<html" in body[:400]
    status, headers, body = _get(served, "/digest/006.es/wiki/006.es.wiki")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    status, _, body = _get(served, "/pages/wiki/tools-and-resources.wiki")
    assert status == 200 and b"Trust and Safety" in body
    assert headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", [
    "/digest/006.es/../../site.yaml",
    "/digest/006.es/%2e%2e/%2e%2e/site.yaml",
    "/digest/006.es/email%2f..%2f..%2fsite.yaml",
    "/digest/006.es/email/..%2F..%2F..%2Fetc%2Fpasswd",
    "/digest/006.es/email/%252e%252e/site.yaml",
    "/pages/..%5c..%5csite.yaml",
    "/pages/wiki/../../secret.txt",
    "/static/../secret.txt",
    "/static/%2e%2e/%2e%2e/secret.txt",
    "//etc/passwd",
    "/digest/006.es/email/006.es.html%00.txt",
    "/digest/..",
    "/digest/%2e%2e%2fsecret",
    "/secret.txt",
    "/digest/006.es/planted.txt",
    "/digest/006.es/email/planted.html",
    "/pages/email/planted.html",
    "/digest/006.es/.cache/digests.pickle",
])
def test_nothing_outside_the_builds_outputs_is_served(served: Server, path: str) -> None:
    (served.digests.parent / "secret.txt").write_text(SECRET, encoding="utf-8")
    (served.out / "email").mkdir(parents=True, exist_ok=True)
    os.symlink(served.digests.parent / "secret.txt", served.out / "email" / "planted.html")
    os.symlink(served.digests.parent / "secret.txt", served.out / "planted.txt")
    status, _, body = _get(served, path)
    assert status == 404
    assert SECRET.encode() not in body and b"root:" not in body


def test_no_request_writes_anything(served: Server) -> None:
    before = sorted(p.relative_to(served.digests.parent) for p in served.digests.parent.rglob("*"))
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        status, _, _ = _get(served, "/digest/001", method)
        assert status in (405, 501), method
    assert sorted(p.relative_to(served.digests.parent) for p in served.digests.parent.rglob("*")) == before


def test_another_host_name_reads_nothing(served: Server) -> None:
    """A page elsewhere whose name points at 127.0.0.1 (DNS rebinding) gets no digest."""
    status, _, body = _get(served, "/digest/001", host="attacker.example:80")
    assert status == 421 and b"Universal" not in body
    assert _get(served, "/digest/001", host="localhost:" + str(urlsplit(served.url).port))[0] == 200


def _change_after(server: Server, action: Callable[[], None]) -> tuple[dict[str, int], dict[str, object]]:
    """Do `action` while listening on /events; return the hello and the change it announced."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=60) as connection:
        connection.sendall(f"GET /events HTTP/1.1\r\nHost: {address.netloc}\r\n\r\n".encode())
        stream = connection.makefile("rb")
        assert stream.readline().startswith(b"HTTP/1.1 200")
        while stream.readline() not in (b"\r\n", b""):
            pass
        assert stream.readline() == b"retry: 1000\n"
        assert stream.readline() == b"event: hello\n"
        hello = json.loads(stream.readline().removeprefix(b"data: "))
        assert stream.readline() == b"\n"
        action()
        line = stream.readline()
        while line.startswith(b":"):  # a keep-alive comment
            stream.readline()
            line = stream.readline()
        return hello, json.loads(line.removeprefix(b"data: "))


def test_html_is_escaped_in_names_and_messages(served: Server) -> None:
    bad = served.digests / "<i onmouseover=alert(1)>.md"
    _change_after(served, lambda: bad.write_text("not a digest\n", encoding="utf-8"))
    status, _, body = _get(served, "/")
    assert status == 200
    assert b"<i onmouseover" not in body
    assert b"&lt;i onmouseover=alert(1)&gt;.md" in body
    assert b"bad-file-name" in body


def test_events_announce_each_change(served: Server) -> None:
    path = served.digests / "002.md"
    hello, change = _change_after(served, lambda: path.write_text(
        path.read_text(encoding="utf-8").replace("## ", "## Renamed ", 1), encoding="utf-8"))
    assert change == {"generation": hello["generation"] + 1, "everything": False, "slugs": ["002"]}


def test_another_host_is_warned_about_and_a_busy_port_is_a_clean_error(tmp_path: Path) -> None:
    (tmp_path / "digests").mkdir()
    # 192.0.2.1 is kept for documentation: no machine has it, so nothing is ever exposed by this test.
    result = run_cli("serve", "--digests", "digests", "--host", "192.0.2.1", "--port", "0", cwd=tmp_path)
    assert result.status == 1
    assert "clinics: warning: --host 192.0.2.1 lets other machines see the preview, drafts included" in result.err
    assert "clinics: error: cannot listen on 192.0.2.1 port 0: Cannot assign requested address" in result.err
    assert "hint: " in result.err and "Traceback" not in result.err


def test_a_port_in_use_is_a_clean_error(served: Server) -> None:
    result = run_cli("serve", "--digests", "digests", "--port", str(urlsplit(served.url).port),
                     cwd=served.digests.parent)
    assert result.status == 1
    assert "Address already in use" in result.err and "choose another with --port" in result.err


def test_a_browser_gone_before_its_answer_is_not_reported(capsys: pytest.CaptureFixture[str]) -> None:
    """A page left or reloaded while an answer is written breaks the pipe: that is no error of the preview's."""
    from pipeline.serve.server import Preview

    server = Preview.__new__(Preview)  # its error handler only: no socket, no session
    for gone in (BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "Connection reset by peer")):
        try:
            raise gone
        except ConnectionError:
            server.handle_error(None, ("127.0.0.1", 1))
    assert capsys.readouterr().err == ""
    try:
        raise ValueError("a real fault")
    except ValueError:
        server.handle_error(None, ("127.0.0.1", 1))
    assert "ValueError: a real fault" in capsys.readouterr().err  # still reported
