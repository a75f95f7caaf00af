"""The errors every component shares.

:class:`LurewatchError` is an expected failure that the user can act on (a wrong input,
a configuration that cannot be used, a store that does not answer): the command line
prints it as one line and exits with status 2, never with a traceback. Each component
derives its own errors from it.
"""

from __future__ import annotations


class LurewatchError(Exception):
    """An expected failure, described in one line."""


class UserError(LurewatchError):
    """A mistake in what the user asked for."""
