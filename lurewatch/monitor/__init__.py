"""Continuous monitoring: crawl schedules, source health, alerts and metrics.

``lurewatch monitor`` runs :class:`lurewatch.monitor.scheduler.Monitor`; ``lurewatch
status`` reads the monitor database (:mod:`lurewatch.monitor.state`); alerts are kept in
the store (``Store.add_alert``), where the review application lists them.
"""
