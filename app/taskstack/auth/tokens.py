"""JWT identity and error callbacks: every token problem is a JSON 401."""

from typing import Any

from flask import Response
from flask_jwt_extended import create_access_token, create_refresh_token

from taskstack.auth.service import get_user
from taskstack.errors import error_response
from taskstack.extensions import jwt
from taskstack.models import User


def issue_tokens(user: User) -> dict[str, str]:
    return {
        "access_token": create_access_token(identity=user),
        "refresh_token": create_refresh_token(identity=user),
    }


@jwt.user_identity_loader
def _user_identity(user: User) -> str:
    return str(user.id)


@jwt.user_lookup_loader
def _load_user(_header: dict[str, Any], payload: dict[str, Any]) -> User | None:
    return get_user(int(payload["sub"]))


def _unauthorized(message: str) -> tuple[Response, int]:
    response, code = error_response(401, message)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response, code


@jwt.unauthorized_loader
def _missing_token(_reason: str) -> tuple[Response, int]:
    return _unauthorized("Missing or malformed Authorization header.")


@jwt.invalid_token_loader
def _invalid_token(_reason: str) -> tuple[Response, int]:
    return _unauthorized("Invalid token.")


@jwt.expired_token_loader
def _expired_token(_header: dict[str, Any], _payload: dict[str, Any]) -> tuple[Response, int]:
    return _unauthorized("Token has expired.")


@jwt.user_lookup_error_loader
def _unknown_user(_header: dict[str, Any], _payload: dict[str, Any]) -> tuple[Response, int]:
    return _unauthorized("Invalid token.")
