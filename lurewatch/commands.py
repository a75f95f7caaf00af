"""Mounts every component's commands on the ``lurewatch`` app (imports only)."""

from classifiers import campaign_commands  # noqa: F401  cluster rebuild, campaigns list
from classifiers import commands as classifier_commands  # noqa: F401  classify, evaluate
from classifiers.transformer import commands as model_commands  # noqa: F401  model, train, dataset
from crawlers import commands as crawler_commands  # noqa: F401  crawl, parse
from index import commands as index_commands  # noqa: F401  reindex, spool drain, kibana import
from lurewatch import core_commands  # noqa: F401  demo, search, show
from lurewatch.monitor import commands as monitor_commands  # noqa: F401  monitor, status
from review_ui import commands as review_commands  # noqa: F401  serve, user add
