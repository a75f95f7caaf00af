#!/usr/bin/env bash
# Fetch the Elasticsearch test node from Maven Central, unpack it into
# ${LUREWATCH_CACHE:-$HOME/.cache/lurewatch}/elasticsearch-<version>/home and install the
# test plugin (plugin/, compiled here against that distribution's own jars).
# Idempotent: a stamp holding the hash of the pom, this script and the plugin says the folder
# is complete, so a second run does nothing and a changed plugin is rebuilt.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pom="$here/pom.xml"
version="$(sed -n 's:.*<elasticsearch.version>\(.*\)</elasticsearch.version>.*:\1:p' "$pom")"
cache="${LUREWATCH_CACHE:-$HOME/.cache/lurewatch}/elasticsearch-$version"
stamp="$cache/complete"
inputs_hash="$(cd "$here" && find pom.xml fetch.sh plugin -type f | sort | xargs sha256sum \
  | sha256sum | cut -d' ' -f1)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$inputs_hash" ]]; then
  echo "Elasticsearch test node: cached in $cache"
  exit 0
fi

command -v mvn >/dev/null || { echo "fetch.sh: Maven (mvn) is needed: apt-get install maven" >&2; exit 1; }
command -v javac >/dev/null || { echo "fetch.sh: a Java 17+ JDK (javac, jar) is needed" >&2; exit 1; }
command -v unzip >/dev/null || { echo "fetch.sh: unzip is needed: apt-get install unzip" >&2; exit 1; }

# Build in a fresh folder first, so an interrupted fetch never looks complete.
partial="$cache.partial"
rm -rf "$partial"
mkdir -p "$partial"
mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeTypes=zip -DoutputDirectory="$partial"
unzip -q "$partial/elasticsearch-$version.zip" -d "$partial"
rm "$partial/elasticsearch-$version.zip"
mv "$partial/elasticsearch-$version" "$partial/home"

plugin="$partial/home/plugins/lurewatch-test"
mkdir -p "$partial/classes" "$plugin"
javac --release 17 -cp "$partial/home/lib/*" -d "$partial/classes" \
  $(find "$here/plugin" -name '*.java')
jar --create --file "$plugin/lurewatch-test.jar" -C "$partial/classes" .
rm -rf "$partial/classes"
cat > "$plugin/plugin-descriptor.properties" <<PROPS
name=lurewatch-test
description=Test-only stand-in for analysis-common (ngram, asciifolding) and rest-root (GET /)
version=1
classname=org.lurewatch.testnode.LurewatchTestPlugin
java.version=17
elasticsearch.version=$version
PROPS

rm -rf "$cache"
mv "$partial" "$cache"
echo "$inputs_hash" > "$stamp"
echo "Elasticsearch test node: fetched into $cache"
