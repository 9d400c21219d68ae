"""The content hash of a digest version: what a translation records of its source (`source_version`)."""
from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

from pipeline.read.source import load_source

HASH_LENGTH = 16  # hex digits: a fingerprint, not a security boundary


def content_hash(path: Path) -> str | None:
    """Return the hash of the body of the digest at `path` (its notes, not its front matter), or None if unreadable.

    The front matter is left out: setting `status: final` on the source does not make its
    translations outdated; a change to the notes does.
    """
    try:
        source, _ = load_source(path, str(path))
    except OSError:
        return None
    if source is None:
        return None
    body = unicodedata.normalize("NFC", source.body).strip()
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:HASH_LENGTH]
