"""Prometheus metrics: HTTP requests (prometheus-flask-exporter) and the app's own counters.

With PROMETHEUS_MULTIPROC_DIR set (gunicorn), every worker writes its samples there and
/metrics sums them, so counts hold with any number of workers.
"""

import os
from dataclasses import dataclass

from flask import Flask, current_app
from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_flask_exporter import PrometheusMetrics
from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


@dataclass(frozen=True)
class AppMetrics:
    users_registered: Counter
    tasks_created: Counter
    cache_hits: Counter
    cache_misses: Counter
    sockets_connected: Gauge
    rate_limited: Counter
    tokens_revoked: Counter
    not_serving: Counter


def init_app(app: Flask) -> None:
    """Serve /metrics and attach the app's own metrics as app.extensions['taskstack.metrics']."""
    if directory := os.environ.get(MULTIPROC_DIR_VARIABLE):
        # gunicorn_conf empties it at start; one-off commands (taskstack-db) just need it.
        os.makedirs(directory, exist_ok=True)
        # Samples go to the shared directory; the exporter's collector reads them all.
        GunicornInternalPrometheusMetrics(app, group_by="endpoint")
        registry = None
    else:
        # A registry per app, so that several apps in one process (tests) do not collide.
        registry = CollectorRegistry()
        PrometheusMetrics(app, group_by="endpoint", registry=registry)
    app.extensions["taskstack.metrics"] = _app_metrics(registry)


def app_metrics() -> AppMetrics:
    return current_app.extensions["taskstack.metrics"]


def _app_metrics(registry: CollectorRegistry | None) -> AppMetrics:
    def counter(name: str, documentation: str) -> Counter:
        return Counter(f"taskstack_{name}", documentation, registry=registry)

    return AppMetrics(
        users_registered=counter("users_registered", "Accounts registered."),
        tasks_created=counter("tasks_created", "Tasks created."),
        cache_hits=counter("cache_hits", "Task reads answered from the cache."),
        cache_misses=counter("cache_misses", "Task reads that went to PostgreSQL."),
        sockets_connected=Gauge(
            "taskstack_sockets_connected",
            "Socket.IO connections open now.",
            registry=registry,
            multiprocess_mode="livesum",
        ),
        rate_limited=counter("rate_limited", "Requests refused by a rate limit."),
        tokens_revoked=counter("tokens_revoked", "Sessions and refresh tokens revoked."),
        not_serving=Counter(
            "taskstack_not_serving_refusals",
            "Idempotent requests turned away (502) while draining or not ready.",
            ["reason"],
            registry=registry,
        ),
    )
