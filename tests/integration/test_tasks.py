from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

pytestmark = pytest.mark.integration

Headers = dict[str, str]
SQL = Callable[..., list[Any]]


def create(client: FlaskClient, headers: Headers, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/tasks", json={"title": "A task"} | fields, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def task_row(sql: SQL, task_id: int) -> tuple:
    [row] = sql("SELECT * FROM tasks WHERE id = :id", id=task_id)
    return tuple(row)


def test_created_task_has_defaults_and_utc_timestamps(client: FlaskClient, alice: Headers) -> None:
    task = create(client, alice, title="Write the spec")

    assert task["title"] == "Write the spec"
    assert task["description"] == ""
    assert task["status"] == "open"
    assert task["due_date"] is None
    created_at = datetime.fromisoformat(task["created_at"])
    assert created_at.utcoffset().total_seconds() == 0
    assert task["updated_at"] == task["created_at"]


def test_created_task_is_stored_for_its_owner(
    client: FlaskClient, alice: Headers, sql: SQL
) -> None:
    task = create(client, alice, description="details", status="done", due_date="2030-01-31")

    [(owner_email, title, status, due_date)] = sql(
        "SELECT u.email, t.title, t.status, t.due_date::text FROM tasks t"
        " JOIN users u ON u.id = t.user_id WHERE t.id = :id",
        id=task["id"],
    )
    assert (owner_email, title, status, due_date) == (
        "alice@example.com",
        "A task",
        "done",
        "2030-01-31",
    )


def test_owner_can_read_a_task(client: FlaskClient, alice: Headers) -> None:
    task = create(client, alice)

    response = client.get(f"/api/tasks/{task['id']}", headers=alice)

    assert response.status_code == 200
    assert response.get_json() == task


def test_owner_can_update_a_task(client: FlaskClient, alice: Headers, sql: SQL) -> None:
    task = create(client, alice, due_date="2030-01-31")

    response = client.patch(
        f"/api/tasks/{task['id']}",
        json={"title": "Renamed", "status": "done", "due_date": None},
        headers=alice,
    )

    assert response.status_code == 200
    updated = response.get_json()
    assert (updated["title"], updated["status"], updated["due_date"]) == ("Renamed", "done", None)
    assert updated["created_at"] == task["created_at"]
    assert updated["updated_at"] > task["updated_at"]
    assert sql("SELECT title, status, due_date FROM tasks") == [("Renamed", "done", None)]


def test_owner_can_delete_a_task(client: FlaskClient, alice: Headers, sql: SQL) -> None:
    task = create(client, alice)

    response = client.delete(f"/api/tasks/{task['id']}", headers=alice)

    assert response.status_code == 204
    assert response.data == b""
    assert client.get(f"/api/tasks/{task['id']}", headers=alice).status_code == 404
    assert sql("SELECT count(*) FROM tasks") == [(0,)]


def test_missing_task_is_404(client: FlaskClient, alice: Headers) -> None:
    response = client.get("/api/tasks/999999", headers=alice)

    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": 404, "message": "Task not found."}}


def test_user_only_lists_their_own_tasks(client: FlaskClient, alice: Headers, bob: Headers) -> None:
    create(client, alice, title="Alice's")
    create(client, bob, title="Bob's")

    response = client.get("/api/tasks", headers=bob)

    assert [task["title"] for task in response.get_json()["items"]] == ["Bob's"]


@pytest.mark.parametrize(
    ("method", "body"),
    [("get", None), ("patch", {"title": "Hijacked", "status": "done"}), ("delete", None)],
)
def test_user_cannot_touch_another_users_task(
    client: FlaskClient, alice: Headers, bob: Headers, sql: SQL, method: str, body: Any
) -> None:
    task = create(client, alice)
    row_before = task_row(sql, task["id"])
    missing = getattr(client, method)("/api/tasks/999999", json=body, headers=bob)

    response = getattr(client, method)(f"/api/tasks/{task['id']}", json=body, headers=bob)

    assert response.status_code == 404
    assert response.get_json() == missing.get_json()
    assert task_row(sql, task["id"]) == row_before


def test_list_is_paginated_newest_first_without_overlap(
    client: FlaskClient, alice: Headers
) -> None:
    created_ids = [create(client, alice, title=f"Task {n}")["id"] for n in range(25)]

    pages = [
        client.get(f"/api/tasks?page={page}&per_page=10", headers=alice).get_json()
        for page in (1, 2, 3)
    ]

    assert [len(page["items"]) for page in pages] == [10, 10, 5]
    assert all((p["total"], p["pages"], p["per_page"]) == (25, 3, 10) for p in pages)
    assert [p["page"] for p in pages] == [1, 2, 3]
    listed_ids = [task["id"] for page in pages for task in page["items"]]
    assert listed_ids == sorted(created_ids, reverse=True)


def test_list_orders_by_creation_time_then_id_when_timestamps_tie(
    client: FlaskClient, alice: Headers, sql: SQL
) -> None:
    first, second, third, fourth, fifth, sixth = (create(client, alice)["id"] for _ in range(6))
    # Pairs share a timestamp, and the oldest ids get the newest timestamps.
    sql(
        "UPDATE tasks"
        " SET created_at = timestamptz '2030-01-01Z' - (id - :first) / 2 * interval '1 day'",
        first=first,
    )

    pages = [
        client.get(f"/api/tasks?page={page}&per_page=2", headers=alice).get_json()
        for page in (1, 2, 3)
    ]

    listed_ids = [task["id"] for page in pages for task in page["items"]]
    assert listed_ids == [second, first, fourth, third, sixth, fifth]


def test_page_past_the_end_is_empty(client: FlaskClient, alice: Headers) -> None:
    create(client, alice)

    body = client.get("/api/tasks?page=5", headers=alice).get_json()

    assert body == {"items": [], "page": 5, "per_page": 20, "total": 1, "pages": 1}


def test_list_filters_by_status(client: FlaskClient, alice: Headers) -> None:
    create(client, alice, title="open one")
    create(client, alice, title="done one", status="done")
    create(client, alice, title="done two", status="done")

    done = client.get("/api/tasks?status=done", headers=alice).get_json()
    open_ = client.get("/api/tasks?status=open", headers=alice).get_json()

    assert [task["title"] for task in done["items"]] == ["done two", "done one"]
    assert done["total"] == 2
    assert [task["title"] for task in open_["items"]] == ["open one"]


@pytest.mark.parametrize(
    "query", ["per_page=101", "per_page=0", "page=0", "page=x", "status=closed", "order=title"]
)
def test_bad_query_parameters_are_400(client: FlaskClient, alice: Headers, query: str) -> None:
    response = client.get(f"/api/tasks?{query}", headers=alice)

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["message"] == "Invalid query parameters."
    assert query.split("=")[0] in error["details"]


BAD_TASK_BODIES = [
    {"title": "t", "owner_id": 2},
    {"title": 5},
    {"title": ""},
    {"title": "   "},
    {"title": "x" * 201},
    {"title": "t", "description": "x" * 5001},
    {"title": "\x00\x1b\n"},
    {"title": "t", "status": "closed"},
    {"title": "t", "due_date": "2030-02-30"},
    {"title": "t", "due_date": "next week"},
]


@pytest.mark.parametrize("body", BAD_TASK_BODIES)
def test_bad_new_task_is_400_and_creates_nothing(
    client: FlaskClient, alice: Headers, sql: SQL, body: dict[str, Any]
) -> None:
    response = client.post("/api/tasks", json=body, headers=alice)

    assert response.status_code == 400
    assert response.get_json()["error"]["details"]
    assert sql("SELECT count(*) FROM tasks") == [(0,)]


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ('{"title": ', "application/json", 400),
        ('["title"]', "application/json", 400),
        ('{"title": "t"}', "text/plain", 415),
        ("title=t", "application/x-www-form-urlencoded", 415),
    ],
)
def test_unreadable_new_task_is_rejected_and_creates_nothing(
    client: FlaskClient, alice: Headers, sql: SQL, data: str, content_type: str, status: int
) -> None:
    response = client.post("/api/tasks", data=data, content_type=content_type, headers=alice)

    assert response.status_code == status
    assert response.get_json()["error"]["code"] == status
    assert sql("SELECT count(*) FROM tasks") == [(0,)]


@pytest.mark.parametrize("body", [*BAD_TASK_BODIES, {}, {"title": None}, {"status": None}])
def test_bad_change_is_400_and_leaves_the_task_unchanged(
    client: FlaskClient, alice: Headers, sql: SQL, body: dict[str, Any]
) -> None:
    task = create(client, alice, description="keep me")
    row_before = task_row(sql, task["id"])

    response = client.patch(f"/api/tasks/{task['id']}", json=body, headers=alice)

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == 400
    assert task_row(sql, task["id"]) == row_before


def test_markup_and_sql_in_a_title_are_stored_and_returned_as_given(
    client: FlaskClient, alice: Headers, sql: SQL
) -> None:
    titles = ["<img src=x onerror=alert(1)>", "'; DROP TABLE tasks; --", "100% _done_ \\o/"]

    created = [create(client, alice, title=title) for title in titles]

    assert [task["title"] for task in created] == titles
    assert sorted(row[0] for row in sql("SELECT title FROM tasks")) == sorted(titles)
    listed = client.get("/api/tasks?sort=created_at", headers=alice).get_json()["items"]
    assert [task["title"] for task in listed] == titles


def test_control_characters_are_removed_before_storing(
    client: FlaskClient, alice: Headers, sql: SQL
) -> None:
    task = create(client, alice, title="Pay\x00 the\x1b[2J bill\n", description="a\x07\nb\tc")

    assert (task["title"], task["description"]) == ("Pay the[2J bill", "a\nb\tc")
    assert sql("SELECT title, description FROM tasks") == [("Pay the[2J bill", "a\nb\tc")]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("title", ["apple", "banana", "cherry"]),
        ("-title", ["cherry", "banana", "apple"]),
        ("due_date", ["banana", "apple", "cherry"]),
        ("-due_date", ["apple", "banana", "cherry"]),
        ("status", ["apple", "banana", "cherry"]),
        ("-status", ["cherry", "banana", "apple"]),
        ("created_at", ["banana", "cherry", "apple"]),
        ("-created_at", ["apple", "cherry", "banana"]),
    ],
)
def test_list_sorts_by_a_whitelisted_field_with_missing_due_dates_last(
    client: FlaskClient, alice: Headers, sort: str, expected: list[str]
) -> None:
    create(client, alice, title="banana", due_date="2030-01-01", status="open")
    create(client, alice, title="cherry", status="open")
    create(client, alice, title="apple", due_date="2030-06-01", status="done")

    listed = client.get(f"/api/tasks?sort={sort}", headers=alice).get_json()["items"]

    assert [task["title"] for task in listed] == expected


def test_search_matches_a_title_substring_in_any_case(client: FlaskClient, alice: Headers) -> None:
    for title in ("Buy MILK", "buttermilk", "Bread", "100% done", "snake_case"):
        create(client, alice, title=title)

    def search(q: str) -> list[str]:
        response = client.get("/api/tasks", query_string={"q": q, "sort": "title"}, headers=alice)
        return [task["title"] for task in response.get_json()["items"]]

    assert search("milk") == ["Buy MILK", "buttermilk"]
    assert search("%") == ["100% done"]
    assert search("_") == ["snake_case"]
    assert search("\\") == []
    assert search("no such") == []


@pytest.mark.parametrize(
    "query",
    ["sort=password_hash", "sort=id", "sort=title;drop", "q=" + "x" * 101, "q=", "owner=1"],
)
def test_sort_and_search_outside_the_whitelist_and_limits_are_400(
    client: FlaskClient, alice: Headers, query: str
) -> None:
    response = client.get(f"/api/tasks?{query}", headers=alice)

    assert response.status_code == 400
    assert query.split("=")[0] in response.get_json()["error"]["details"]


def test_a_deleted_accounts_token_is_a_401_not_a_500(
    client: FlaskClient, alice: Headers, sql: SQL
) -> None:
    sql("DELETE FROM users")

    for response in (
        client.get("/api/tasks", headers=alice),
        client.post("/api/tasks", json={"title": "t"}, headers=alice),
    ):
        assert response.status_code == 401
        assert response.get_json()["error"]["message"] == "Invalid token."
