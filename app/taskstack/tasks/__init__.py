"""The signed-in user's tasks under /api/tasks."""

from taskstack.tasks.routes import bp

__all__ = ["bp"]
