"""Run ansible-playbook from the repository and read its recap (e2e tests and bench/)."""

import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RECAP_LINE = re.compile(r"^(?P<host>\S+)\s+:\s+ok=\d+\s+changed=(?P<changed>\d+)", re.MULTILINE)
TIMEOUT_SECONDS = 1800
# The one beside this Python (the project's virtualenv), also when its bin/ is not on PATH.
ANSIBLE_PLAYBOOK = (
    shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"
)


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
        [ANSIBLE_PLAYBOOK, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT_SECONDS,
    )
    return PlaybookRun(result.returncode, result.stdout + result.stderr, time.monotonic() - started)
