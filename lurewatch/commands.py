"""Mounts every component's commands on the ``lurewatch`` app (imports only)."""

from classifiers import commands as classifier_commands  # noqa: F401  classify, evaluate
from index import commands as index_commands  # noqa: F401  reindex, spool drain, kibana import
from lurewatch import core_commands  # noqa: F401  demo, search, show, serve stubs
from lurewatch.monitor import commands as monitor_commands  # noqa: F401  monitor, status
from review_ui import commands as review_commands  # noqa: F401  serve, user add
