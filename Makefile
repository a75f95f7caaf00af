# The two commands a fresh machine needs: `make setup`, then `make test`.
.PHONY: setup test lint demo bench

setup:
	bash scripts/setup.sh

test: lint
	.venv/bin/pytest

lint:
	.venv/bin/ruff check .

demo:
	.venv/bin/lurewatch demo --summary-json data/demo-summary.json

bench:
	.venv/bin/python benchmarks/crawl.py --json data/bench-crawl.json
	.venv/bin/python benchmarks/classify.py --json data/bench-classify.json
	.venv/bin/python benchmarks/index.py --json data/bench-index.json
	.venv/bin/python benchmarks/cluster.py --json data/bench-cluster.json
