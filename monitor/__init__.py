"""Continuous monitoring: crawl schedules, source health, alerts and metrics.

``lurewatch monitor`` runs :class:`monitor.scheduler.Monitor`. Crawl runs
(``Store.start_run``) and alerts (``Store.add_alert``) are kept in the store, which every
monitor process shares and the review application reads; ``lurewatch status`` shows the
runs from there and the next runs from this machine's monitor database
(:mod:`monitor.state`).
"""
