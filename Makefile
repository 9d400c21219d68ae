# The two commands a new machine needs: `make` (build everything) and `make test`.
MAKEFLAGS += --no-builtin-rules
.SUFFIXES:
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
READY  := $(VENV)/.ready
OUT    ?= build
DIGESTS ?= digests
SOURCES := $(shell find $(DIGESTS) templates pipeline -type f ! -name '*.pyc' 2>/dev/null)

.PHONY: all check test clean new emails wiki followups send publish bench golden lock upgrade test-matrix serve mutate
.DELETE_ON_ERROR:

all: $(OUT)/.stamp

# The virtual environment holds exactly what requirements.lock names, hash by hash, whatever the
# registry serves today; the project itself goes in on top, without its dependencies. A changed lock
# makes a new environment, so that nothing the old lock installed stays behind.
$(READY): requirements.lock pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# The stamp takes the time the build started, so that a digest saved during a build is built next time.
$(OUT)/.stamp: $(READY) $(SOURCES)
	@mkdir -p $(OUT) && touch $@.next
	$(PY) -m pipeline build --digests $(DIGESTS) --out $(OUT)
	@mv $@.next $@

# make check FORMAT=github (or json, sarif): the diagnostics for another program (README "Checks where you work")
check: $(READY)
	$(PY) -m pipeline check --digests $(DIGESTS) $(if $(FORMAT),--format $(FORMAT))

# make serve: the live preview at http://127.0.0.1:8000/ (PORT=8001 for another port)
serve: $(READY)
	$(PY) -m pipeline serve --digests $(DIGESTS) --out $(OUT) $(if $(PORT),--port $(PORT))

test: $(READY)
	$(PY) -m pytest -q

clean:
	rm -rf $(OUT)

# make new N=012 (L=es for digests/012.es.md; L=en FROM=es for a translation of 012.es.md)
new: $(READY)
	$(if $(N),,$(error usage: make new N=012 [L=es] [FROM=es]))
	$(PY) -m pipeline new $(N) --digests $(DIGESTS) $(if $(L),--lang $(L)) $(if $(FROM),--from $(FROM))

emails: $(READY)
	$(PY) -m pipeline build --only emails --digests $(DIGESTS) --out $(OUT)

# make send ID=006.en LIST=wikimedia-l        shows what would be sent (a dry run)
# make send ID=006.en LIST=wikimedia-l YES=1  sends it (RESEND=1 to send a version twice)
send: $(READY)
	$(if $(and $(ID),$(LIST)),,$(error usage: make send ID=006.en LIST=wikimedia-l [YES=1] [RESEND=1]))
	$(PY) -m pipeline send $(ID) --list $(LIST) --digests $(DIGESTS) $(if $(YES),--yes) $(if $(RESEND),--resend)

wiki: $(READY)
	$(PY) -m pipeline build --only wiki --digests $(DIGESTS) --out $(OUT)

# make followups (OPEN=1 for the open ones only, OWNER=Asaf for one owner's)
followups: $(READY)
	$(PY) -m pipeline followups --digests $(DIGESTS) $(if $(OPEN),--open) $(if $(OWNER),--owner "$(OWNER)")

# make publish        shows what would change on Meta-Wiki (a dry run: a diff per page)
# make publish YES=1  publishes it; the bot password is read from CLINICS_WIKI_PASSWORD
publish: $(READY)
	$(PY) -m pipeline publish --digests $(DIGESTS) $(if $(YES),--yes)

# make bench (N=1000 calls; N=200 for a quick run; BENCH_LARGE=1 adds the 10,000 row)
bench: $(READY)
	BENCH_N=$(or $(N),1000) $(PY) -m bench.run

# Rewrite the golden files of tests/cases/ from what the pipeline makes now; review the diff.
golden: $(READY)
	CLINICS_GOLDEN=rewrite $(PY) -m pytest -q tests/build/test_golden.py

# The lock: every dependency of every extra (runtime, test, bench, lock), pinned with its hashes.
# `make lock` writes it anew from pyproject.toml, keeping the pins that still fit; `make upgrade` takes
# the newest versions pyproject.toml allows, then builds a new environment and runs the whole suite.
LOCK := $(PY) -m piptools compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links --extra test --extra bench --extra lock \
	--output-file requirements.lock pyproject.toml

lock: $(READY)
	$(LOCK)

upgrade: $(READY)
	$(LOCK) --upgrade
	$(MAKE) test

# The oldest and the newest allowed version of each pinned library, one at a time and all newest
# together, each in a throw-away environment; needs the registry, so it is not part of `make test`.
test-matrix: $(READY)
	$(PY) tests/matrix.py

# make mutate MODULE=escape: mutation testing of one module with the tests that cover it (tests/mutate.py;
# MODULE=list names them; JOBS=2 tests two mutants at a time; AGAIN=1 retests only the last run's survivors).
# Slow, so not part of `make test`.
mutate: $(READY)
	$(if $(MODULE),,$(error usage: make mutate MODULE=escape|plan|text|catalog|sentlog|schema [JOBS=1] [AGAIN=1]))
	$(PY) tests/mutate.py $(if $(filter list,$(MODULE)),--list,$(MODULE) --jobs $(or $(JOBS),1) $(if $(AGAIN),--again))
