#!/usr/bin/env bash
# OpenSearch test node: fetch the runner's jars from Maven Central (cached)
exec bash tests/support/opensearch/fetch.sh
