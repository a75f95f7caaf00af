#!/usr/bin/env bash
# Elasticsearch test node: fetch the distribution from Maven Central and build its test plugin (cached)
exec bash tests/support/elasticsearch/fetch.sh
