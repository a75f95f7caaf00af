#!/usr/bin/env bash
# Set up a fresh machine for Lurewatch: system packages, the virtual environment, the
# vendored front-end, the OpenSearch test node's jars and the default model.
# Idempotent; what it builds is cached under $LUREWATCH_CACHE keyed by its inputs, so a
# second run on the same machine takes a minute or two.
set -euo pipefail
cd "$(dirname "$0")/.."
export LUREWATCH_CACHE="${LUREWATCH_CACHE:-$HOME/.cache/lurewatch}"
mkdir -p "$LUREWATCH_CACHE"

step() { printf '\n==> %s\n' "$*"; }

step "system packages (Debian): chromium, chromium-driver, redis-server, maven, unzip, Noto fonts"
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v mvn >/dev/null || missing+=(maven)
command -v unzip >/dev/null || missing+=(unzip)  # the Elasticsearch test node's zip
# Thai, Burmese, Khmer and Chinese glyphs for the browser tests' screenshots.
for font in fonts-noto-core fonts-noto-cjk; do
  dpkg -s "$font" >/dev/null 2>&1 || missing+=("$font")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

step "virtual environment (.venv) with the runtime, train and dev extras"
command -v uv >/dev/null || python3 -m pip install --quiet uv
[ -x .venv/bin/python ] || uv venv --quiet --python python3.11 .venv
uv pip install --quiet --python .venv/bin/python -e ".[train,dev]"

for script in scripts/setup.d/*.sh; do
  [ -e "$script" ] || continue
  step "$(sed -n 2p "$script" | sed 's/^# //')"
  bash "$script"
done
step "set-up done"
