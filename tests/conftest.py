"""Tools the tests run (ansible-playbook, molecule) come from pytest's own virtualenv."""

import os
import sys
from pathlib import Path

os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
