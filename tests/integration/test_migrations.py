"""The taskstack-db console script against real databases, and migrations against the models."""

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask

from taskstack.extensions import db

pytestmark = pytest.mark.integration

TASKSTACK_DB = str(Path(sys.executable).with_name("taskstack-db"))
SCRATCH_DATABASE = "taskstack_test_cli"


@pytest.fixture
def empty_database_url(app: Flask) -> Iterator[str]:
    """A brand-new database with no tables, dropped again afterwards."""
    with app.app_context():
        url = db.engine.url
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE} WITH (FORCE)"))
        connection.execute(sa.text(f"CREATE DATABASE {SCRATCH_DATABASE}"))
    yield url.set(database=SCRATCH_DATABASE).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE {SCRATCH_DATABASE} WITH (FORCE)"))
    admin.dispose()


def taskstack_db(command: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "SECRET_KEY": "cli-test-secret",
        "JWT_SECRET_KEY": "cli-test-jwt-secret-0123456789abcdef",
    }
    return subprocess.run(
        [TASKSTACK_DB, command], check=False, env=env, capture_output=True, text=True, timeout=60
    )


def test_check_reports_pending_migrations_on_an_empty_database(empty_database_url: str) -> None:
    result = taskstack_db("check", empty_database_url)

    assert result.returncode == 3
    assert result.stdout.strip() == "pending: base -> 0002"


def test_upgrade_migrates_to_head_and_check_then_passes(
    empty_database_url: str,
) -> None:
    upgrade = taskstack_db("upgrade", empty_database_url)
    check = taskstack_db("check", empty_database_url)

    assert upgrade.returncode == 0, upgrade.stderr
    assert upgrade.stdout.strip() == "upgraded: base -> 0002"
    assert check.returncode == 0
    assert check.stdout.strip() == "at head: 0002"
    tables = sa.inspect(sa.create_engine(empty_database_url)).get_table_names()
    assert set(tables) == {"alembic_version", "users", "tasks"}


def test_current_prints_the_revision_a_deploy_records(empty_database_url: str) -> None:
    before = taskstack_db("current", empty_database_url)
    taskstack_db("upgrade", empty_database_url)
    after = taskstack_db("current", empty_database_url)

    assert (before.returncode, before.stdout.strip()) == (0, "base")
    assert (after.returncode, after.stdout.strip()) == (0, "0002")


def test_upgrade_is_idempotent(empty_database_url: str) -> None:
    assert taskstack_db("upgrade", empty_database_url).returncode == 0

    again = taskstack_db("upgrade", empty_database_url)

    assert again.returncode == 0, again.stderr
    assert "Running upgrade" not in again.stderr
    assert again.stdout.strip() == "at head: 0002"


@pytest.mark.parametrize("command", ["check", "upgrade", "current"])
def test_unreachable_database_exits_1_with_a_clear_message(command: str) -> None:
    result = taskstack_db(
        command, "postgresql+psycopg2://taskstack:taskstack@127.0.0.1:1/taskstack_test"
    )

    assert result.returncode == 1
    assert "taskstack-db: database error:" in result.stderr
    assert "Connection refused" in result.stderr
    assert "Traceback" not in result.stderr


def test_upgrade_of_a_database_from_a_newer_release_exits_1_with_a_clear_message(
    empty_database_url: str,
) -> None:
    assert taskstack_db("upgrade", empty_database_url).returncode == 0
    with sa.create_engine(empty_database_url).begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'f00d'"))

    result = taskstack_db("upgrade", empty_database_url)

    assert result.returncode == 1
    assert "taskstack-db: migration error:" in result.stderr
    assert "f00d" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_configuration_exits_1_with_a_clear_message(empty_database_url: str) -> None:
    result = subprocess.run(
        [TASKSTACK_DB, "check"],
        check=False,
        env={"DATABASE_URL": empty_database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "configuration error: REDIS_URL is required" in result.stderr


def test_migrations_match_the_models(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        differences: list[Any] = compare_metadata(
            MigrationContext.configure(connection), db.metadata
        )

    assert differences == []


def test_task_indexes_exist(sql: Callable[..., list[Any]]) -> None:
    rows = sql("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tasks'")

    definitions = {name: definition for name, definition in rows}
    assert "(user_id, status)" in definitions["ix_tasks_user_id_status"]
    assert "(user_id, created_at, id)" in definitions["ix_tasks_user_id_created_at_id"]
