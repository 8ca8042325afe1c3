"""Run ansible-playbook from the repository and read its recap (e2e tests and bench/)."""

import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RECAP_LINE = re.compile(r"^(?P<host>\S+)\s+:\s+ok=\d+\s+changed=(?P<changed>\d+)", re.MULTILINE)
TIMEOUT_SECONDS = 1800


@dataclass
class PlaybookRun:
    returncode: int
    output: str
    seconds: float

    @property
    def changed(self) -> dict[str, int]:
        return {m["host"]: int(m["changed"]) for m in RECAP_LINE.finditer(self.output)}


def ansible_playbook(*args: str) -> PlaybookRun:
    started = time.monotonic()
    result = subprocess.run(
        ["ansible-playbook", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT_SECONDS,
    )
    return PlaybookRun(result.returncode, result.stdout + result.stderr, time.monotonic() - started)
