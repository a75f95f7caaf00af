"""``python -m lurewatch``."""

from lurewatch.cli import app

app()
