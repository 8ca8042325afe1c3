"""The web page: one HTML file and its scripts, all served by the app itself."""

from flask import Blueprint

bp = Blueprint("web", __name__)
