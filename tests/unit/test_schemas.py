from datetime import date
from typing import Any

import pytest
from marshmallow import ValidationError

from taskstack.auth.schemas import LoginSchema, RegisterSchema
from taskstack.models import TaskStatus
from taskstack.tasks.schemas import SORTS, TaskListQuerySchema, TaskSchema

pytestmark = pytest.mark.unit


def errors_of(schema: Any, data: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as excinfo:
        schema.load(data)
    return excinfo.value.messages_dict


def test_task_schema_loads_a_complete_task() -> None:
    task = TaskSchema().load(
        {
            "title": "Ship it",
            "description": "Line one\nLine two\twith tab",
            "status": "done",
            "due_date": "2030-01-31",
        }
    )

    assert task == {
        "title": "Ship it",
        "description": "Line one\nLine two\twith tab",
        "status": TaskStatus.DONE,
        "due_date": date(2030, 1, 31),
    }


def test_task_title_is_required() -> None:
    assert "title" in errors_of(TaskSchema(), {"description": "no title"})


@pytest.mark.parametrize("field", ["owner", "id", "user_id", "created_at", "updated_at"])
def test_task_schema_rejects_unknown_and_read_only_fields(field: str) -> None:
    assert errors_of(TaskSchema(), {"title": "t", field: 1}) == {field: ["Unknown field."]}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", 42),
        ("title", ["a list"]),
        ("title", None),
        ("description", {"an": "object"}),
        ("description", None),
        ("status", True),
        ("due_date", 20300131),
    ],
)
def test_task_schema_rejects_wrong_types(field: str, value: Any) -> None:
    data = {"title": "t", field: value}

    assert field in errors_of(TaskSchema(), data)


def test_task_title_may_be_200_characters_but_not_201() -> None:
    TaskSchema().load({"title": "x" * 200})

    assert "title" in errors_of(TaskSchema(), {"title": "x" * 201})


def test_task_description_may_be_5000_characters_but_not_5001() -> None:
    TaskSchema().load({"title": "t", "description": "x" * 5000})

    assert "description" in errors_of(TaskSchema(), {"title": "t", "description": "x" * 5001})


@pytest.mark.parametrize("title", ["", "   ", "\t"])
def test_task_title_must_not_be_empty_or_blank(title: str) -> None:
    assert "title" in errors_of(TaskSchema(), {"title": title})


@pytest.mark.parametrize(
    ("title", "stored"),
    [
        ("two\nlines", "twolines"),
        ("tab\there", "tabhere"),
        ("nul\x00byte", "nulbyte"),
        ("bell\x07", "bell"),
        ("del\x7f", "del"),
        ("c1\x85", "c1"),
        ("escape\x1b[31mred", "escape[31mred"),
    ],
)
def test_task_title_loses_every_control_character(title: str, stored: str) -> None:
    assert TaskSchema().load({"title": title}) == {"title": stored}


@pytest.mark.parametrize("title", ["\x00", "\x00\x1b\x7f", "\n\t"])
def test_task_title_of_nothing_but_control_characters_is_rejected(title: str) -> None:
    assert "title" in errors_of(TaskSchema(), {"title": title})


@pytest.mark.parametrize(
    ("description", "stored"),
    [
        ("nul\x00byte", "nulbyte"),
        ("escape\x1b[31m", "escape[31m"),
        ("form\x0cfeed", "formfeed"),
        ("c1\x9bcsi", "c1csi"),
        ("keeps\ttab\nnewline\r\nand crlf", "keeps\ttab\nnewline\r\nand crlf"),
    ],
)
def test_task_description_loses_control_characters_other_than_tab_and_newlines(
    description: str, stored: str
) -> None:
    loaded = TaskSchema().load({"title": "t", "description": description})

    assert loaded["description"] == stored


def test_markup_in_a_title_is_kept_as_given() -> None:
    title = "<img src=x onerror=alert(1)>"

    assert TaskSchema().load({"title": title}) == {"title": title}


@pytest.mark.parametrize("status", ["closed", "OPEN", ""])
def test_task_status_must_be_open_or_done(status: str) -> None:
    assert "status" in errors_of(TaskSchema(), {"title": "t", "status": status})


@pytest.mark.parametrize(
    "due_date", ["2030-02-30", "tomorrow", "2030-01-31T10:00:00", "", "20300131", "2030-W05-1"]
)
def test_task_due_date_must_be_an_iso_calendar_date(due_date: str) -> None:
    assert "due_date" in errors_of(TaskSchema(), {"title": "t", "due_date": due_date})


def test_task_due_date_may_be_cleared_with_null() -> None:
    assert TaskSchema(partial=True).load({"due_date": None}) == {"due_date": None}


def test_partial_task_schema_accepts_a_single_field() -> None:
    assert TaskSchema(partial=True).load({"status": "done"}) == {"status": TaskStatus.DONE}


def test_task_list_query_defaults_to_first_page_of_twenty_newest_first() -> None:
    assert TaskListQuerySchema().load({}) == {"page": 1, "per_page": 20, "sort": "-created_at"}


def test_task_list_query_parses_strings_from_the_query_string() -> None:
    query = TaskListQuerySchema().load(
        {"page": "3", "per_page": "50", "status": "open", "sort": "due_date", "q": "milk"}
    )

    assert query == {
        "page": 3,
        "per_page": 50,
        "status": TaskStatus.OPEN,
        "sort": "due_date",
        "q": "milk",
    }


@pytest.mark.parametrize("sort", SORTS)
def test_task_list_query_accepts_every_whitelisted_sort(sort: str) -> None:
    assert TaskListQuerySchema().load({"sort": sort})["sort"] == sort


def test_task_list_search_loses_control_characters() -> None:
    assert TaskListQuerySchema().load({"q": "mi\x00lk\n"})["q"] == "milk"


def test_task_list_search_may_be_100_characters_but_not_101() -> None:
    TaskListQuerySchema().load({"q": "x" * 100})

    assert "q" in errors_of(TaskListQuerySchema(), {"q": "x" * 101})


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"page": "100001"}, "page"),
        ({"per_page": "0"}, "per_page"),
        ({"per_page": "101"}, "per_page"),
        ({"status": "archived"}, "status"),
        ({"sort": "password_hash"}, "sort"),
        ({"sort": "user_id"}, "sort"),
        ({"sort": "id; DROP TABLE tasks"}, "sort"),
        ({"sort": "--title"}, "sort"),
        ({"sort": "+title"}, "sort"),
        ({"sort": "TITLE"}, "sort"),
        ({"sort": ""}, "sort"),
        ({"q": ""}, "q"),
        ({"q": "\x00"}, "q"),
        ({"owner": "1"}, "owner"),
    ],
)
def test_task_list_query_rejects_bad_parameters(params: dict[str, str], field: str) -> None:
    assert field in errors_of(TaskListQuerySchema(), params)


def test_register_requires_a_valid_email() -> None:
    assert "email" in errors_of(RegisterSchema(), {"email": "not-an-email", "password": "x" * 8})


def test_register_accepts_a_254_character_email_but_not_255() -> None:
    local_part = "a" * 64
    domain = ".".join(["b" * 60] * 3) + ".cccccc"
    email = f"{local_part}@{domain}"
    assert len(email) == 254
    RegisterSchema().load({"email": email, "password": "x" * 8})

    errors = errors_of(RegisterSchema(), {"email": email + "c", "password": "x" * 8})

    assert errors == {"email": ["Longer than maximum length 254."]}


@pytest.mark.parametrize("password", ["x" * 7, "x" * 257])
def test_register_password_must_be_8_to_256_characters(password: str) -> None:
    errors = errors_of(RegisterSchema(), {"email": "a@example.com", "password": password})

    assert "password" in errors


def test_login_accepts_any_nonempty_password_up_to_the_limit() -> None:
    credentials = LoginSchema().load({"email": "a@example.com", "password": "short"})

    assert credentials == {"email": "a@example.com", "password": "short"}


def test_auth_schemas_reject_unknown_fields() -> None:
    data = {"email": "a@example.com", "password": "x" * 8, "is_admin": True}

    assert errors_of(RegisterSchema(), data) == {"is_admin": ["Unknown field."]}
    assert errors_of(LoginSchema(), data) == {"is_admin": ["Unknown field."]}
