"""Reading bytes as text: every source in NFC, whatever the editor saved."""
from __future__ import annotations

import unicodedata
from pathlib import Path

from conftest import digest_text, run_cli

from pipeline.read.text import decode

DECOMPOSED = unicodedata.normalize("NFD", "Café, Ñandú, Йошкар-Ола")


def test_decomposed_text_is_read_in_nfc() -> None:
    assert DECOMPOSED != unicodedata.normalize("NFC", DECOMPOSED)
    text, problems = decode(("\ufeff" + DECOMPOSED + "\r\n").encode("utf-8"), "x.md")
    assert text == "Café, Ñandú, Йошкар-Ола\n" and unicodedata.is_normalized("NFC", text)
    assert [p.code for p in problems] == ["bom"]


def test_every_output_of_a_decomposed_digest_is_nfc(scratch: Path, tmp_path: Path) -> None:
    """A digest saved in NFD (some macOS editors) could never be published: MediaWiki compares NFC md5s."""
    body = f"## {DECOMPOSED}\n\n* Volunteer: {DECOMPOSED}?\n    * Staff: yes.\n"
    (scratch / "001.md").write_bytes(digest_text(1, "intro: false\n", body).encode("utf-8"))
    out = tmp_path / "out"
    result = run_cli("build", "--digests", scratch, "--out", out)
    assert result.status == 0, result.err
    written = [p for p in out.rglob("*") if p.is_file() and p.suffix in (".txt", ".html", ".wiki", ".json")]
    assert written
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert unicodedata.is_normalized("NFC", text), path
    assert "Café, Ñandú" in (out / "wiki" / "001.wiki").read_text(encoding="utf-8")
