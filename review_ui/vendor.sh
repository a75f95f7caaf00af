#!/usr/bin/env bash
# Vendor the review UI's front-end packages from npm into review_ui/static/vendor/
# (git-ignored), so pages load scripts from their own origin only (strict CSP, no CDN).
# Idempotent: the files are cached under $LUREWATCH_CACHE/review-ui-vendor/<hash of the
# lock file>, so a second run, or a fresh clone on the same machine, copies from the cache.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
frontend="$here/frontend"
target="$here/static/vendor"
lock_hash="$(sha256sum "$frontend/package-lock.json" | cut -c1-16)"
cache="${LUREWATCH_CACHE:-$HOME/.cache/lurewatch}/review-ui-vendor/$lock_hash"

if [ ! -f "$cache/htmx.min.js" ]; then
  build="$(mktemp -d)"
  trap 'rm -rf "$build"' EXIT
  cp "$frontend/package.json" "$frontend/package-lock.json" "$build/"
  # npm ci installs exactly what the lock file pins, checking each package's integrity hash.
  npm ci --prefix "$build" --ignore-scripts --no-audit --no-fund --silent
  mkdir -p "$cache.partial"
  cp "$build/node_modules/htmx.org/dist/htmx.min.js" "$cache.partial/htmx.min.js"
  rm -rf "$cache" && mv "$cache.partial" "$cache"
fi

mkdir -p "$target"
cp "$cache/htmx.min.js" "$target/htmx.min.js"
echo "review_ui: vendored htmx into $target (cache $cache)"
