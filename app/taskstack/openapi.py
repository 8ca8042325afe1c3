"""The OpenAPI description of the API, served at /api/openapi.json."""

from flask import Blueprint

bp = Blueprint("openapi", __name__)
