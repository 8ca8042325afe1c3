"""taskstack-db: apply or check database migrations (run as a one-off, never on web boot).

Exit codes: 0 success / at head, 3 migrations pending (check), 1 any error.
`upgrade` ends with "upgraded: <from> -> <to>" or "at head: <revision>"; `current` prints the
revision. A deploy records the revision with its release.
"""

import argparse
import logging
import sys

from alembic import command as alembic_command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from taskstack import create_app
from taskstack.config import ConfigError
from taskstack.extensions import db, migrate

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_PENDING = 3


def db_main(argv: list[str] | None = None) -> int:
    """Entry point of the taskstack-db console script; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="taskstack-db", description=__doc__.splitlines()[0])
    parser.add_argument(
        "command",
        choices=["upgrade", "check", "current"],
        help="upgrade: migrate to head; check: exit 3 if migrations are pending; "
        "current: print the database's revision",
    )
    args = parser.parse_args(argv)
    # Alembic reports each applied revision at INFO; check only needs its one line of output.
    log_level = logging.INFO if args.command == "upgrade" else logging.WARNING
    logging.basicConfig(level=log_level, format="%(levelname)s [%(name)s] %(message)s")
    try:
        app = create_app()
    except ConfigError as exc:
        print(f"taskstack-db: configuration error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return run(app, args.command)


def run(app: Flask, command: str) -> int:
    """Run command ("upgrade", "check" or "current") against app's database; returns the exit
    code."""
    with app.app_context():
        try:
            if command == "upgrade":
                return _upgrade()
            if command == "current":
                print(", ".join(_current_heads()) or "base")
                return EXIT_OK
            return _check()
        except SQLAlchemyError as exc:
            print(
                f"taskstack-db: database error: {getattr(exc, 'orig', None) or exc}",
                file=sys.stderr,
            )
        except CommandError as exc:
            print(f"taskstack-db: migration error: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _current_heads() -> tuple[str, ...]:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_heads()


def _upgrade() -> int:
    """Migrate to head; the last line says what happened, for the deploy to record."""
    before = _current_heads()
    alembic_command.upgrade(migrate.get_config(), "head")
    after = ", ".join(_current_heads())
    if set(before) == set(after.split(", ")):
        print(f"at head: {after}")
    else:
        print(f"upgraded: {', '.join(before) or 'base'} -> {after}")
    return EXIT_OK


def _check() -> int:
    script = ScriptDirectory.from_config(migrate.get_config())
    current = _current_heads()
    heads = script.get_heads()
    if set(current) == set(heads):
        print(f"at head: {', '.join(heads)}")
        return EXIT_OK
    print(f"pending: {', '.join(current) or 'base'} -> {', '.join(heads)}")
    return EXIT_PENDING
