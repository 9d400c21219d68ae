"""The model's pickled form: what the build cache and the workers' results are made of."""
from __future__ import annotations

import datetime as dt
import pickle

from conftest import DIGESTS, TEMPLATES

from pipeline.check.archive import load_archive


def test_every_digest_summary_survives_pickling_unchanged() -> None:
    archive = load_archive(DIGESTS, TEMPLATES, dt.date(2026, 1, 1))
    for digest in archive.digests:
        summary = digest.summary()
        assert pickle.loads(pickle.dumps(summary, protocol=pickle.HIGHEST_PROTOCOL)) == summary
    for diagnostic in archive.diagnostics:
        assert pickle.loads(pickle.dumps(diagnostic)) == diagnostic


def test_loaded_summaries_share_their_citation_ids_and_languages() -> None:
    archive = load_archive(DIGESTS, TEMPLATES, dt.date(2026, 1, 1))
    first, second = [d.summary() for d in archive.digests if "friendly-space-policy" in d.citations][:2]
    # each pickled alone, as the cache does: no pickle memo can share anything between them
    a, b = (pickle.loads(pickle.dumps(d, protocol=pickle.HIGHEST_PROTOCOL)) for d in (first, second))
    shared = {id(c) for c in a.citations if c == "friendly-space-policy"}
    assert shared == {id(c) for c in b.citations if c == "friendly-space-policy"}
    assert a.meta.language is b.meta.language
