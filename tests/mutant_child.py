"""Installed by tests/mutate.py as sitecustomize.py of mutmut's copy: a child process reports what it called.

While mutmut maps tests to the functions they reach, it runs with MUTANT_UNDER_TEST=stats and counts the
calls in its own process only. A test that runs `python -m pipeline` in a child would then seem to reach
nothing, and the mutants of what the child ran would never meet that test. Here the child records the
functions it called and appends them, one a line, to the file the parent test named in CLINICS_MUTMUT_HITS;
conftest.py hands them to mutmut when the test ends. Outside that mapping run this does nothing.
"""
from __future__ import annotations

import os

if os.environ.get("MUTANT_UNDER_TEST") == "stats":
    import atexit

    import mutmut.mutation.trampoline as _trampoline

    _hits: set[str] = set()

    def _record(name: str, caller: str | None = None) -> None:
        _hits.add(name)

    def _report() -> None:
        target = os.environ.get("CLINICS_MUTMUT_HITS")
        if target and _hits:
            with open(target, "a", encoding="utf-8") as handle:
                handle.write("".join(name + "\n" for name in sorted(_hits)))

    _trampoline.record_trampoline_hit = _record
    atexit.register(_report)
