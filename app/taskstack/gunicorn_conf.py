"""gunicorn settings, loaded with `-c python:taskstack.gunicorn_conf`.

GUNICORN_CMD_ARGS and command-line flags still override these.
"""

import os
import shutil
from pathlib import Path

from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# One worker per instance by default: a Socket.IO long-polling session must stay in one
# process. The web page uses WebSocket only, so more workers also work behind it.
workers = int(os.environ.get("GUNICORN_WORKERS", "1"))
# Threads serve requests and hold open WebSockets (one thread each).
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "1000"))
worker_connections = 2000
# Build the app once in the master: a configuration error stops start-up with one clear message.
preload_app = True
timeout = 30
# On stop, requests in progress get this long to finish; open WebSockets are then cut (their
# pages reconnect to another instance), so a rolling deploy does not wait for them.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "10"))
# Heartbeat files on tmpfs: a container's overlay filesystem can stall worker heartbeats.
worker_tmp_dir = "/dev/shm"
accesslog = "-"
errorlog = "-"
# Docker manages the processes; gunicorn's control socket would also need a writable HOME.
control_socket_disable = True


def _reset_metrics_dir() -> None:
    """Start every run with an empty metrics directory: old workers' samples are stale.

    Runs when gunicorn reads this file, before the preloaded app registers its metrics.
    """
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


_reset_metrics_dir()


def child_exit(_server: object, worker: object) -> None:
    """Drop a dead worker's live gauges (connected sockets) from /metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]


def post_worker_init(_worker: object) -> None:
    from taskstack.live import start_listening

    start_listening()
