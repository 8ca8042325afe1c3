"""The web page: one HTML file and its scripts, all served by the app itself.

The scripts and styles live in taskstack/static (Flask's /static route); the Socket.IO client
is vendored into static/vendor by app/web/vendor.sh.
"""

from flask import Blueprint, render_template

bp = Blueprint("web", __name__, template_folder="templates")


@bp.get("/")
def index() -> str:
    return render_template("web/index.html")
