"""Continuous mixed load through nginx: signed-in users listing and creating tasks.

Used by the e2e tests of the production topology and by bench/deploy_bench.py:

    with Load(base_url, users) as load:
        ...  # deploy, kill a container, ...
    assert load.failures == []

Each worker keeps one HTTP keep-alive connection, as a browser does, and never retries. Every
POST has a unique title, so the tasks in the database show whether any was applied twice.
"""

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Self

import requests

TIMEOUT_SECONDS = 30
PASSWORD = "correct horse battery staple"


@dataclass
class User:
    email: str
    headers: dict[str, str]


@dataclass
class Failure:
    at: float
    method: str
    path: str
    error: str


@dataclass
class Load:
    """Workers per user send GET /api/tasks and POST /api/tasks in turn until stopped."""

    base_url: str
    users: list[User]
    workers_per_user: int = 2
    # Keeps each user under the default rate limit (600 per minute) with room to spare.
    pause_seconds: float = 0.5
    failures: list[Failure] = field(default_factory=list)
    requests_sent: int = 0
    created_titles: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _prefix: str = field(default_factory=lambda: f"load-{uuid.uuid4().hex[:8]}")

    def __enter__(self) -> Self:
        for user in self.users:
            for _ in range(self.workers_per_user):
                thread = threading.Thread(target=self._work, args=(user,), daemon=True)
                thread.start()
                self._threads.append(thread)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(TIMEOUT_SECONDS + 5)

    def failures_since(self, moment: float) -> list[Failure]:
        with self._lock:
            return [failure for failure in self.failures if failure.at >= moment]

    @property
    def title_prefix(self) -> str:
        return self._prefix

    def _work(self, user: User) -> None:
        session = requests.Session()
        session.headers.update(user.headers)
        while not self._stop.is_set():
            self._request(session, "GET", "/api/tasks?per_page=5", None, 200)
            title = f"{self._prefix}-{uuid.uuid4().hex}"
            if self._request(session, "POST", "/api/tasks", {"title": title}, 201):
                with self._lock:
                    self.created_titles.append(title)
            time.sleep(self.pause_seconds)

    def _request(
        self, session: requests.Session, method: str, path: str, body: object, expected: int
    ) -> bool:
        try:
            response = session.request(
                method, f"{self.base_url}{path}", json=body, timeout=TIMEOUT_SECONDS
            )
            error = None if response.status_code == expected else f"{response.status_code}"
            if error:
                error += f" {response.text[:200]}"
        except requests.RequestException as exc:
            error = repr(exc)[:300]
        with self._lock:
            self.requests_sent += 1
            if error:
                self.failures.append(Failure(time.time(), method, path, error))
        return error is None


def register_users(base_url: str, count: int) -> list[User]:
    """New accounts with their access tokens (registration signs in)."""
    users = []
    for _ in range(count):
        email = f"load-{uuid.uuid4().hex[:12]}@example.com"
        response = requests.post(
            f"{base_url}/api/auth/register",
            json={"email": email, "password": PASSWORD},
            timeout=TIMEOUT_SECONDS,
        )
        response.raise_for_status()
        token = response.json()["access_token"]
        users.append(User(email, {"Authorization": f"Bearer {token}"}))
    return users
