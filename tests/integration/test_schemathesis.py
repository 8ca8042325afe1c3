"""Schemathesis against the app in-process: no 5xx, and every response is a documented one
(status code, content type, headers, body schema), for generated valid and invalid requests."""

from collections.abc import Callable
from typing import Any

import pytest
import redis
import schemathesis
from hypothesis import HealthCheck, settings

from tests.integration.conftest import TEST_REDIS_URL, make_app

pytestmark = pytest.mark.integration

EMAIL = "fuzz@example.com"
# Deterministic, and bounded: every password hash costs argon2's time, so the two operations
# that hash get fewer examples.
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": 25, "deterministic": True, "database": "none"},
        "operations": [
            {"include-operation-id": ["register", "login"], "generation": {"max-examples": 10}}
        ],
    }
)
# The conftest's rate limits are generous: a 429 (documented) would hide every other answer.
# Building the app connects to nothing; its document is served without PostgreSQL.
TESTED = make_app()
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", TESTED, config=CONFIG)
# The token kind each security scheme names.
TOKEN_KINDS = {"accessToken": "access_token", "refreshToken": "refresh_token"}


@schema.auth(refresh_interval=None)
class TokenKind:
    """Marks where a token goes, and which kind: "Bearer access_token" or "Bearer refresh_token".

    Cases are generated (some at collection) long before their request is sent, so the real
    token goes in at call time (with_token). Requests that schemathesis sends without a token,
    or with a broken one, carry no mark and stay as they are.
    """

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str | None:
        requirements = context.operation.definition.raw.get("security")
        return TOKEN_KINDS[next(iter(requirements[0]))] if requirements else None

    def set(self, case: schemathesis.Case, kind: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {kind}"}


def with_token(case: schemathesis.Case, sign_in: Callable[..., dict[str, Any]]) -> None:
    """Where TokenKind marked one, put a real token of that kind from a new session.

    A session per request: logout and session revocation are exercised without ending the
    session of any other request.
    """
    kind = (case.headers or {}).get("Authorization", "").removeprefix("Bearer ")
    if kind in TOKEN_KINDS.values():
        case.headers["Authorization"] = f"Bearer {sign_in(EMAIL)[kind]}"


@schema.parametrize()
# No health checks: they judge data generation (some by its speed, which depends on the load
# of the machine), not the API. sign_in is function-scoped on purpose: a user per operation.
@settings(suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(
    case: schemathesis.Case, sign_in: Callable[..., dict[str, Any]]
) -> None:
    with_token(case, sign_in)
    case.call_and_validate()


def test_linked_operations_answer_as_documented(
    sign_in: Callable[..., dict[str, Any]], sql: Callable[..., list[Any]]
) -> None:
    """Sequences that follow the document's links: a created task is read, changed and
    deleted; a listed session is ended."""

    class Workflows(schema.as_state_machine()):
        def setup(self) -> None:
            # The same steps must get the same answers (Hypothesis replays them): every
            # sequence starts from empty tables and an empty Redis database.
            sql("TRUNCATE tasks, users RESTART IDENTITY CASCADE")
            with redis.Redis.from_url(TEST_REDIS_URL) as client:
                client.flushdb()

        def before_call(self, case: schemathesis.Case) -> None:
            with_token(case, sign_in)

    Workflows.run(
        settings=settings(
            max_examples=25,
            stateful_step_count=6,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
