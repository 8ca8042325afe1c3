"""Real gunicorn instances of the app on 127.0.0.1, sharing one PostgreSQL database and Redis db.

Used by the cluster tests, the browser tests and the benchmark:

    with cluster(3, base_port=18101, database="taskstack_cluster_test", redis_db=13,
                 env_name="cluster") as instances:
        requests.get(f"{instances[0].url}/healthz")

Each instance has its own Prometheus multiprocess directory and its own log file; every
process runs in its own process group and is killed when the context exits, even on failure.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg2
import redis
import requests
from psycopg2 import sql

if TYPE_CHECKING:
    import pytest

VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PG_DSN = f"host={HOST} port=5432 user=taskstack password=taskstack"
REDIS_URL = f"redis://{HOST}:6379"
# Fixed test secrets, so that tests can sign their own (expired or forged) tokens.
SECRET_KEY = "cluster-test-secret-key"
JWT_SECRET_KEY = "cluster-test-jwt-secret-0123456789abcdef"
START_TIMEOUT_SECONDS = 30
# Workers holding open WebSockets (or slow to exit) are killed after this.
STOP_TIMEOUT_SECONDS = 2
LOG_TAIL_CHARS = 6000
# The gunicorn master gets SIGKILL when the thread that started it ends (setpriv execs it),
# so a killed test run leaves no server holding the ports; workers follow their master.
# Start clusters from a thread that outlives them (the main thread).
DIE_WITH_PARENT = ["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else []
# Only these databases may be created or wiped here.
BENCH_DATABASE = "taskstack_bench"


class ClusterError(Exception):
    """An instance could not be started or its database prepared."""


def database_url(database: str) -> str:
    return f"postgresql+psycopg2://taskstack:taskstack@{HOST}:5432/{database}"


def redis_url(redis_db: int) -> str:
    return f"{REDIS_URL}/{redis_db}"


class Instance:
    """One gunicorn master (with its workers) serving the app on 127.0.0.1:port."""

    def __init__(self, port: int, env: dict[str, str], log_path: Path) -> None:
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.log_path = log_path
        self._env = env
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the instance and block until /readyz answers 200."""
        self.spawn()
        self.wait_ready()

    def stop(self) -> None:
        """Quick shutdown (SIGINT to the master), then SIGKILL whatever is left in its group."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()

    def restart(self) -> None:
        """Stop and start again on the same port (clients may reconnect to the same URL)."""
        self.stop()
        self.start()

    def spawn(self) -> None:
        if self._process is not None:
            raise ClusterError(f"{self.url} is already running")
        if _port_open(self.port):
            raise ClusterError(f"port {self.port} is already in use; stop whatever serves it")
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    *DIE_WITH_PARENT,
                    str(VENV_BIN / "gunicorn"),
                    "-c",
                    "python:taskstack.gunicorn_conf",
                ]
                + ["taskstack.wsgi:app"],
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise ClusterError(f"{self.url} exited during start-up:\n{self.log_tail()}")
            try:
                if requests.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise ClusterError(
            f"{self.url} not ready after {START_TIMEOUT_SECONDS}s:\n{self.log_tail()}"
        )

    @property
    def metrics_dir(self) -> Path:
        return Path(self._env["PROMETHEUS_MULTIPROC_DIR"])

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_tail(self, since: int = 0) -> str:
        """The log written after byte offset since, at most its last LOG_TAIL_CHARS."""
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace")
        return text[-LOG_TAIL_CHARS:]


@contextmanager
def cluster(
    count: int,
    *,
    base_port: int,
    database: str,
    redis_db: int,
    env_name: str,
    extra_env: dict[str, str] | None = None,
    workers: int = 1,
) -> Iterator[list[Instance]]:
    """count instances on base_port, base_port+1, ...; the database is created and migrated."""
    _check_database_name(database)
    work_dir = Path(tempfile.mkdtemp(prefix=f"taskstack-{env_name}-"))
    env = _environment(database, redis_db, env_name, extra_env, workers)
    instances = []
    for index in range(count):
        port = base_port + index
        metrics_dir = work_dir / f"metrics-{port}"
        instance_env = env | {
            "GUNICORN_BIND": f"{HOST}:{port}",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        }
        instances.append(Instance(port, instance_env, work_dir / f"gunicorn-{port}.log"))
    try:
        create_database(database)
        _migrate(env)
        # Start all at once (each preloads the app), then wait for each.
        for instance in instances:
            instance.spawn()
        for instance in instances:
            instance.wait_ready()
        yield instances
    finally:
        with ThreadPoolExecutor(max(count, 1)) as pool:
            list(pool.map(Instance.stop, instances))
        shutil.rmtree(work_dir, ignore_errors=True)


def reset_data(database: str, redis_db: int) -> None:
    """Empty the users and tasks tables and the Redis db (sessions, cache, rate limits)."""
    _check_database_name(database)
    connection = psycopg2.connect(f"{PG_DSN} dbname={database}")
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("TRUNCATE tasks, users RESTART IDENTITY CASCADE")
    finally:
        connection.close()
    with redis.Redis.from_url(redis_url(redis_db)) as client:
        client.flushdb()


def create_database(database: str) -> None:
    """Create database (owned by taskstack) unless it exists."""
    _check_database_name(database)
    connection = psycopg2.connect(f"{PG_DSN} dbname=postgres")
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    finally:
        connection.close()


@contextmanager
def logs_on_failure(
    request: "pytest.FixtureRequest", instances: Sequence[Instance]
) -> Iterator[None]:
    """Around one test: if it fails, print what the instances logged meanwhile to the terminal."""
    offsets = [instance.log_size() for instance in instances]
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed == failed_before:
        return
    capture = request.config.pluginmanager.getplugin("capturemanager")
    terminal = request.config.pluginmanager.getplugin("terminalreporter")
    with capture.global_and_fixture_disabled():
        for instance, offset in zip(instances, offsets, strict=True):
            terminal.write_sep("-", f"{instance.url} log during {request.node.name}")
            terminal.write_line(instance.log_tail(offset))


def _check_database_name(database: str) -> None:
    if not (database.endswith("_test") or database == BENCH_DATABASE):
        raise ClusterError(
            f"refusing to use database {database!r}: its name must end in _test "
            f"(or be {BENCH_DATABASE})"
        )


def _environment(
    database: str,
    redis_db: int,
    env_name: str,
    extra_env: dict[str, str] | None,
    workers: int,
) -> dict[str, str]:
    # Settings that would leak in from the caller's shell are dropped.
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("GUNICORN_", "PROMETHEUS_", "RATELIMIT_", "JWT_", "SOCKETIO_"))
        and not name.endswith("_FILE")
    }
    return (
        inherited
        | {
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "DATABASE_URL": database_url(database),
            "REDIS_URL": redis_url(redis_db),
            "SECRET_KEY": SECRET_KEY,
            "JWT_SECRET_KEY": JWT_SECRET_KEY,
            "TASKSTACK_ENV": env_name,
            "TRUSTED_PROXY_HOPS": "0",
            "GUNICORN_WORKERS": str(workers),
        }
        | (extra_env or {})
    )


def _migrate(env: dict[str, str]) -> None:
    result = subprocess.run(
        [str(VENV_BIN / "taskstack-db"), "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise ClusterError(f"taskstack-db upgrade failed:\n{result.stdout}{result.stderr}")


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0
