"""Registration, login and token refresh under /api/auth."""

from taskstack.auth.routes import bp

__all__ = ["bp"]
