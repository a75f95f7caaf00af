# The two commands a fresh machine needs: `make setup`, then `make test`.
.PHONY: setup test lint demo bench

BENCHMARKS = crawl end_to_end classify serve_profile index cluster langid review_ui

setup:
	bash scripts/setup.sh

test: lint
	.venv/bin/pytest

lint:
	.venv/bin/ruff check .

demo:
	.venv/bin/lurewatch demo --summary-json data/demo-summary.json

bench:
	@# As modules, not scripts: a script's folder goes first on sys.path, and there
	@# benchmarks/index.py would shadow the index package.
	@# One that fails (no model built, no OpenSearch jars) does not stop the others.
	mkdir -p data
	failed=""; for name in $(BENCHMARKS); do \
		.venv/bin/python -m benchmarks.$$name --json data/bench-$$name.json \
			|| failed="$$failed $$name"; \
	done; test -z "$$failed" || { echo "benchmarks failed:$$failed"; exit 1; }
