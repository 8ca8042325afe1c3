"""taskstack: a small task tracker API."""

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from taskstack.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(config: "Config | None" = None) -> "Flask":
    """Build the app. Without a config, read it from the environment (ConfigError if incomplete)."""
    # Imported here, not above: taskstack-instance (taskstack.drain) must start without Flask.
    from flask import Flask

    from taskstack import auth, health, live, metrics, openapi, security, serving, tasks, web
    from taskstack.config import Config
    from taskstack.errors import register_error_handlers
    from taskstack.extensions import cache, db, jwt, limiter, migrate, redis_store

    config = config or Config.from_env()
    app = Flask(__name__)
    app.config.from_mapping(config.flask_settings())
    app.logger.setLevel(config.log_level)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    jwt.init_app(app)
    redis_store.init_app(app)
    cache.init_app(app)
    # Before the limiter, whose before_request may refuse a request: 429s are measured too.
    metrics.init_app(app)
    limiter.init_app(app)

    register_error_handlers(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp, url_prefix="/api/auth")
    app.register_blueprint(tasks.bp, url_prefix="/api/tasks")
    app.register_blueprint(openapi.bp, url_prefix="/api")
    app.register_blueprint(web.bp)

    live.init_app(app)
    # Socket.IO's origin check sees the client as the proxies describe it.
    security.init_app(app)
    # Outermost: a draining instance turns Socket.IO requests away too.
    serving.init_app(app)
    return app
