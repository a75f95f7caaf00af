"""``python -m lurewatch``."""

from lurewatch.cli import main

main()
