"""WSGI entry point for gunicorn: taskstack.wsgi:app."""

from taskstack import create_app
from taskstack.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    # One line an operator can act on, instead of a traceback through gunicorn's loader.
    raise SystemExit(f"taskstack: configuration error: {exc}") from None
