"""Continuous monitoring: crawl schedules, source health, alerts and metrics.

``lurewatch monitor`` runs :class:`lurewatch.monitor.scheduler.Monitor`; ``lurewatch
status`` reads the monitor database (:mod:`lurewatch.monitor.state`); the review
application shows :func:`lurewatch.monitor.alerts.list_alerts`.
"""
