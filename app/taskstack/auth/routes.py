from flask import Blueprint, Response
from flask_jwt_extended import create_access_token, current_user, jwt_required

from taskstack.auth import service
from taskstack.auth.schemas import LoginSchema, RegisterSchema, UserSchema
from taskstack.auth.tokens import issue_tokens
from taskstack.errors import error_response
from taskstack.models import User
from taskstack.validation import load_json

bp = Blueprint("auth", __name__)
register_schema = RegisterSchema()
login_schema = LoginSchema()
user_schema = UserSchema()


def _session_body(user: User) -> dict[str, object]:
    return {**issue_tokens(user), "user": user_schema.dump(user)}


@bp.post("/register")
def register() -> tuple[dict[str, object], int]:
    credentials = load_json(register_schema)
    user = service.register_user(credentials["email"], credentials["password"])
    return _session_body(user), 201


@bp.post("/login")
def login() -> dict[str, object]:
    credentials = load_json(login_schema)
    return _session_body(service.authenticate(credentials["email"], credentials["password"]))


@bp.post("/refresh")
@jwt_required(refresh=True)
def refresh() -> dict[str, str]:
    return {"access_token": create_access_token(identity=current_user)}


@bp.errorhandler(service.EmailTaken)
def _email_taken(_error: service.EmailTaken) -> tuple[Response, int]:
    return error_response(409, "An account with this email already exists.")


@bp.errorhandler(service.InvalidCredentials)
def _invalid_credentials(_error: service.InvalidCredentials) -> tuple[Response, int]:
    return error_response(401, "Invalid email or password.")
