"""Throughput and latency of taskstack through the real server; see bench/README.md.

    .venv/bin/python bench/app_bench.py [--duration 10] [--clients 500] [--samples 300]

Not a test: it prints figures and PASS/MISS against the targets, and exits 0 either way.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import requests
import socketio
from prometheus_client.parser import text_string_to_metric_families
from redis import asyncio as aioredis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.cluster import Instance, cluster, redis_url, reset_data

DATABASE = "taskstack_bench"
REDIS_DB = 11
ENV_NAME = "bench"
BASE_PORT = 18121
# Limits far above anything the benchmark sends, so that no request is refused.
HIGH_LIMITS = {"RATELIMIT_DEFAULT": "100000000 per minute", "RATELIMIT_AUTH": "100000 per minute"}
PASSWORD = "correct horse battery staple"
TASK_COUNT = 1000
PER_PAGE = 50
# Every task title contains this; a search for it, in any letter case, matches every task.
MARKER = "abcdefghijklmnopqrstuvwx"
LIST_PATH = f"/api/tasks?per_page={PER_PAGE}&q={MARKER}"
WRK_THREADS = 2
WRK_CONNECTIONS = 16
TARGET_CACHED_VS_CEILING = 0.8
TARGET_CACHED_VS_UNCACHED = 3.0
TARGET_EVENT_P99_MS = 30.0
CLIENTS_PER_USER = 5

# wrk prints one JSON line when a run ends.
WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "non_2xx": %d, "socket_errors": %d,'
    .. ' "p50_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration / 1e6, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""
# Each request searches for MARKER in a letter case no earlier request used: the same SQL
# and the same 50 tasks as the cached case, under a cache key never seen before.
WRK_UNCACHED = (
    """
local threads = 0
setup = function(thread)
  thread:set("first", threads * 2 ^ 21)
  threads = threads + 1
end
init = function(args)
  path, marker, counter = args[1], args[2], first
end
request = function()
  local letters = {}
  for i = 1, #marker do
    local letter = marker:sub(i, i)
    if bit.band(bit.rshift(counter, i - 1), 1) == 1 then letter = letter:upper() end
    letters[i] = letter
  end
  counter = counter + 1
  return wrk.format(nil, path .. table.concat(letters))
end
"""
    + WRK_REPORT
)


@dataclass
class HttpResult:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    failures: int
    cache_hits: int
    cache_misses: int


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--clients", type=int, default=500, help="connected Socket.IO clients")
    parser.add_argument("--samples", type=int, default=300, help="events timed")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="gunicorn workers per instance (default: 1, as deployed)",
    )
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    print("Starting 3 instances ...", flush=True)
    with cluster(
        3,
        base_port=BASE_PORT,
        database=DATABASE,
        redis_db=REDIS_DB,
        env_name=ENV_NAME,
        extra_env=HIGH_LIMITS,
        workers=args.workers,
    ) as instances:
        try:
            reset_data(DATABASE, REDIS_DB)
            token = seed(instances[0])
            http = [
                wrk(
                    instances[0], "/healthz (ceiling)", "/healthz", token, WRK_REPORT, args.duration
                ),
                wrk(instances[0], "task list, cached", LIST_PATH, token, WRK_REPORT, args.duration),
                wrk(
                    instances[0],
                    "task list, uncached",
                    LIST_PATH,
                    token,
                    WRK_UNCACHED,
                    args.duration,
                ),
            ]
            print(f"Connecting {args.clients} Socket.IO clients ...", flush=True)
            events = asyncio.run(event_latency(instances, args.clients, args.samples))
        finally:
            reset_data(DATABASE, REDIS_DB)
    report(http, events, args)
    # Other processes on this 2-core machine skew every figure: say how busy it was.
    print(f"\nload average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    return 0


def seed(instance: Instance) -> str:
    """Register the benchmark user, give it TASK_COUNT tasks, return its access token."""
    response = requests.post(
        f"{instance.url}/api/auth/register",
        json={"email": "bench@example.com", "password": PASSWORD},
        timeout=30,
    )
    response.raise_for_status()
    token = response.json()["access_token"]
    print(f"Creating {TASK_COUNT} tasks ...", flush=True)

    def create(number: int) -> None:
        requests.post(
            f"{instance.url}/api/tasks",
            json={"title": f"Task {number:04d} {MARKER}"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).raise_for_status()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(TASK_COUNT)))
    return token


def wrk(
    instance: Instance, name: str, path: str, token: str, script: str, duration: int
) -> HttpResult:
    print(f"wrk {duration}s: {name} ...", flush=True)
    # Warm up: the cached case starts with its entry in the cache.
    requests.get(f"{instance.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    hits_before, misses_before = cache_counts(instance)
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        result = subprocess.run(
            ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{duration}s", "--latency"]
            + ["-H", f"Authorization: Bearer {token}", "-s", lua.name, f"{instance.url}{path}"]
            # Arguments for the uncached script: the path without q, and the search term.
            + ["--", f"/api/tasks?per_page={PER_PAGE}&q=", MARKER],
            capture_output=True,
            text=True,
            check=True,
        )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    time.sleep(1)  # requests still in flight when wrk stopped finish before the count
    hits_after, misses_after = cache_counts(instance)
    return HttpResult(
        name=name,
        requests_per_second=summary["requests"] / summary["seconds"],
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        requests=summary["requests"],
        failures=summary["non_2xx"] + summary["socket_errors"],
        cache_hits=hits_after - hits_before,
        cache_misses=misses_after - misses_before,
    )


def cache_counts(instance: Instance) -> tuple[int, int]:
    text = requests.get(f"{instance.url}/metrics", timeout=10).text
    values = {
        sample.name: int(sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return (
        values.get("taskstack_cache_hits_total", 0),
        values.get("taskstack_cache_misses_total", 0),
    )


class EventProbe:
    """Times one event at a time: from the POST to the Redis channel, and to each remote client."""

    def __init__(self) -> None:
        self.title = ""
        self.started = 0.0
        self.published: float | None = None
        self.arrivals: list[float] = []
        self.expected = 0
        self.complete = asyncio.Event()
        self.latencies: list[float] = []
        self.to_channel: list[float] = []
        self.from_channel: list[float] = []
        self.post_times: list[float] = []
        self.lost = 0

    async def arrived(self, task: dict) -> None:
        """The task_created handler of every client on another instance than the writer."""
        now = time.perf_counter()
        if task["title"] == self.title:
            self.arrivals.append(now)
            if len(self.arrivals) == self.expected:
                self.complete.set()

    async def watch(self, channel: str) -> None:
        """Note when the current event passes through the Socket.IO Redis channel."""
        client = aioredis.Redis.from_url(redis_url(REDIS_DB))
        async with client, client.pubsub() as pubsub:
            await pubsub.subscribe(channel)
            async for message in pubsub.listen():
                # The message is pickled by python-socketio; the title's bytes are in it.
                if message["type"] == "message" and self.title.encode() in message["data"]:
                    self.published = time.perf_counter()

    async def time_one(
        self, http: aiohttp.ClientSession, writer: Instance, token: str, title: str, expected: int
    ) -> None:
        self.title, self.expected, self.published = title, expected, None
        self.arrivals, self.complete = [], asyncio.Event()
        self.started = time.perf_counter()
        async with http.post(
            f"{writer.url}/api/tasks",
            json={"title": title},
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            response.raise_for_status()
        self.post_times.append(time.perf_counter() - self.started)
        try:
            await asyncio.wait_for(self.complete.wait(), timeout=5)
        except TimeoutError:
            self.lost += expected - len(self.arrivals)
        self.latencies.extend(arrival - self.started for arrival in self.arrivals)
        if self.published is not None:
            self.to_channel.append(self.published - self.started)
            self.from_channel.extend(arrival - self.published for arrival in self.arrivals)


async def event_latency(instances: list[Instance], clients: int, samples: int) -> dict[str, float]:
    """POST on instances[0]; time until the event reaches the user's clients on the others.

    clients sockets, CLIENTS_PER_USER per user, spread round robin over all instances.
    """
    users = max(1, clients // CLIENTS_PER_USER)
    writer = instances[0]
    probe = EventProbe()
    async with aiohttp.ClientSession() as http:
        tokens = await asyncio.gather(*(register(http, writer, number) for number in range(users)))
        remote_clients = dict.fromkeys(range(users), 0)
        sockets = []
        for number in range(clients):
            user, instance = number % users, instances[number % len(instances)]
            client = socketio.AsyncClient(reconnection=False)
            if instance is not writer:
                remote_clients[user] += 1
                client.on("task_created", probe.arrived)
            sockets.append((client, instance, tokens[user]))
        await connect_all(sockets)
        watcher = asyncio.create_task(probe.watch(f"taskstack-{ENV_NAME}"))
        await asyncio.sleep(1)
        for sample in range(samples):
            user = sample % users
            title = f"event-{sample:06d}"
            await probe.time_one(http, writer, tokens[user], title, remote_clients[user])
            await asyncio.sleep(0.01)
        watcher.cancel()
        await asyncio.gather(*(client.disconnect() for client, _, _ in sockets))

    def milliseconds(values: list[float], percent: int) -> float:
        return percentile(values, percent) * 1000

    return {
        "clients": clients,
        "deliveries": len(probe.latencies),
        "lost": probe.lost,
        "p50_ms": milliseconds(probe.latencies, 50),
        "p99_ms": milliseconds(probe.latencies, 99),
        "post_p50_ms": milliseconds(probe.post_times, 50),
        "post_p99_ms": milliseconds(probe.post_times, 99),
        "to_channel_p50_ms": milliseconds(probe.to_channel, 50),
        "to_channel_p99_ms": milliseconds(probe.to_channel, 99),
        "from_channel_p50_ms": milliseconds(probe.from_channel, 50),
        "from_channel_p99_ms": milliseconds(probe.from_channel, 99),
    }


async def connect_all(sockets: list[tuple[socketio.AsyncClient, Instance, str]]) -> None:
    limit = asyncio.Semaphore(25)

    async def connect(client: socketio.AsyncClient, instance: Instance, token: str) -> None:
        async with limit:
            await client.connect(
                instance.url, auth={"token": token}, transports=["websocket"], wait_timeout=30
            )

    await asyncio.gather(*(connect(*socket) for socket in sockets))


async def register(http: aiohttp.ClientSession, instance: Instance, number: int) -> str:
    async with http.post(
        f"{instance.url}/api/auth/register",
        json={"email": f"user{number}@example.com", "password": PASSWORD},
    ) as response:
        response.raise_for_status()
        return (await response.json())["access_token"]


def percentile(values: list[float], percent: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(http: list[HttpResult], events: dict[str, float], args: argparse.Namespace) -> None:
    ceiling, cached, uncached = http
    print()
    print(
        f"HTTP: one instance ({args.workers} gthread worker(s)), wrk -t{WRK_THREADS} "
        f"-c{WRK_CONNECTIONS} -d{args.duration}s; user with {TASK_COUNT} tasks, "
        f"per_page={PER_PAGE}"
    )
    print(
        f"{'case':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}{'errors':>8}"
        f"{'hits':>8}{'misses':>8}"
    )
    for row in http:
        print(
            f"{row.name:<22}{row.requests_per_second:>9.0f}{row.p50_ms:>9.2f}{row.p99_ms:>9.2f}"
            f"{row.requests:>10}{row.failures:>8}{row.cache_hits:>8}{row.cache_misses:>8}"
        )
    vs_ceiling = cached.requests_per_second / ceiling.requests_per_second
    vs_uncached = cached.requests_per_second / uncached.requests_per_second
    print(
        f"cached / ceiling   {vs_ceiling:6.2f}  target >= {TARGET_CACHED_VS_CEILING}  "
        f"{verdict(vs_ceiling >= TARGET_CACHED_VS_CEILING)}"
    )
    print(
        f"cached / uncached  {vs_uncached:6.2f}  target >= {TARGET_CACHED_VS_UNCACHED}  "
        f"{verdict(vs_uncached >= TARGET_CACHED_VS_UNCACHED)}"
    )
    print()
    print(
        f"Events: POST on instance 1, event timed at the user's clients on instances 2 and 3; "
        f"{events['clients']} clients connected, {args.samples} events"
    )
    print(
        f"deliveries {events['deliveries']}, lost {events['lost']}, "
        f"p50 {events['p50_ms']:.1f} ms, p99 {events['p99_ms']:.1f} ms "
        f"(the POST itself: p50 {events['post_p50_ms']:.1f} ms, p99 {events['post_p99_ms']:.1f} ms)"
    )
    print(
        f"  of which POST -> Redis channel p50 {events['to_channel_p50_ms']:.1f} ms, "
        f"p99 {events['to_channel_p99_ms']:.1f} ms; Redis channel -> client "
        f"p50 {events['from_channel_p50_ms']:.1f} ms, p99 {events['from_channel_p99_ms']:.1f} ms"
    )
    print(
        f"event p99 {events['p99_ms']:.1f} ms  target < {TARGET_EVENT_P99_MS:.0f} ms  "
        f"{verdict(events['p99_ms'] < TARGET_EVENT_P99_MS and not events['lost'])}"
    )


if __name__ == "__main__":
    sys.exit(main())
