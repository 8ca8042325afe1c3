"""Whether this instance takes new requests: how nginx routes around an instance.

nginx (open source) has no active health checks, and changing its upstreams takes a reload,
which closes idle keep-alive connections under clients that are just sending on them. So the
instance says it instead: while it is draining (a deploy is about to replace it) or, with
READINESS_GATE, not ready (PostgreSQL unreachable), it answers idempotent requests with 502.
nginx counts that as a failed attempt, sends the request to another instance and leaves this
one out for fail_timeout. POST and PATCH, which nginx never retries, are served as usual, and
the probes always answer.
"""

import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from taskstack import health
from taskstack.drain import DRAIN_MAX_AGE_SECONDS, seen_file

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
READY_CHECK_INTERVAL_SECONDS = 1.0

StartResponse = Callable[..., Any]


def init_app(app: Flask) -> None:
    """Wrap the whole WSGI app (Socket.IO included) in the gate; call it last."""
    app.wsgi_app = ServingGate(app.wsgi_app, app)  # type: ignore[method-assign]


class ServingGate:
    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app
        self.drain_file = app.config["DRAIN_FILE"]
        self.readiness_gate = app.config["READINESS_GATE"]
        self._ready = True
        self._checked_at = float("-inf")
        self._check_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") not in PROBE_PATHS:
            reason = self._not_serving_because()
            if reason and environ["REQUEST_METHOD"] in IDEMPOTENT_METHODS:
                return self._refuse(reason, start_response)
        return self.wsgi_app(environ, start_response)

    def _not_serving_because(self) -> str | None:
        if self._draining():
            seen_file(self.drain_file).touch()
            return "draining"
        if self.readiness_gate and not self._is_ready():
            return "not-ready"
        return None

    def _draining(self) -> bool:
        try:
            age = time.time() - os.stat(self.drain_file).st_mtime
        except OSError:
            return False
        return age < DRAIN_MAX_AGE_SECONDS

    def _is_ready(self) -> bool:
        """PostgreSQL answers; checked at most once a second, by one request at a time."""
        stale = time.monotonic() - self._checked_at >= READY_CHECK_INTERVAL_SECONDS
        if stale and self._check_lock.acquire(blocking=False):
            try:
                with self.app.app_context():
                    self._ready = health.postgres_ok()
                self._checked_at = time.monotonic()
            finally:
                self._check_lock.release()
        return self._ready

    def _refuse(self, reason: str, start_response: StartResponse) -> list[bytes]:
        self.app.extensions["taskstack.metrics"].not_serving.labels(reason=reason).inc()
        message = f"This instance is not serving ({reason}); retry on another."
        body = json.dumps({"error": {"code": 502, "message": message}}).encode()
        start_response(
            "502 Bad Gateway",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
                ("X-Taskstack-Not-Serving", reason),
            ],
        )
        return [body]
