"""gunicorn settings, loaded with `-c python:taskstack.gunicorn_conf`.

GUNICORN_CMD_ARGS and command-line flags still override these.
"""

import os

bind = "0.0.0.0:8000"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Build the app once in the master: a configuration error stops start-up with one clear message.
preload_app = True
timeout = 30
graceful_timeout = 30
# Heartbeat files on tmpfs: a container's overlay filesystem can stall worker heartbeats.
worker_tmp_dir = "/dev/shm"
accesslog = "-"
errorlog = "-"
# Docker manages the processes; gunicorn's control socket would also need a writable HOME.
control_socket_disable = True
