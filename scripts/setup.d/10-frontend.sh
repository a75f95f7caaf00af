#!/usr/bin/env bash
# review application front-end: vendor htmx from npm (cached)
exec bash review_ui/vendor.sh
