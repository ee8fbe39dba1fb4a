"""What the administration's views share: the blueprint, loading an object the administrator
may run (404 otherwise), the one paginator, and small response helpers."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, make_response
from flask_login import current_user

from app import access
from app.extensions import db
from app.models import Evaluation, EvaluationCycle, Municipality, Province, User

bp = Blueprint("admin", __name__, url_prefix="/admin", static_folder="static",
               static_url_path="/static")
# only active administrators reach anything under /admin: the guard sits on the whole
# blueprint, so a view added later cannot forget it
access.guard(bp, "admin")

#: rows per page of every administration list
PER_PAGE = 50


def paginate(statement, page: int, per_page: int = PER_PAGE):
    """One page of `statement`'s rows: Flask-SQLAlchemy's paginator, called here and nowhere
    else in the administration (a page past the end is empty, never a 404)."""
    return db.paginate(statement, page=max(1, page), per_page=per_page, error_out=False)


def provinces() -> list[Province]:
    from app.admin.places.services import provinces_for

    return provinces_for(current_user)


def scope_ids() -> list[int] | None:
    """The provinces this administrator runs (None: every province)."""
    scope = access.admin_provinces(current_user)
    return None if scope is None else list(scope)


def load(model, object_id: int):
    """The object if the current administrator may run it (app.access); 404 otherwise."""
    row = db.session.get(model, object_id)
    if row is None:
        abort(404)
    if isinstance(row, User):
        allowed = access.may_manage_user(current_user, row)
    elif isinstance(row, Municipality):
        allowed = access.may_administer_province(current_user, row.province_id)
    elif isinstance(row, Evaluation):
        allowed = access.may_administer_province(current_user, row.municipality.province_id)
    elif isinstance(row, EvaluationCycle):
        allowed = access.may_administer(current_user)
    else:
        allowed = access.may_administer(current_user)
    if not allowed:
        abort(404)
    return row


def no_store(response):
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def import_limit() -> int:
    """The largest file an import page takes (municipalities and users alike), in bytes."""
    from app.admin import tables

    return int(current_app.config.get("MUNICIPALITY_IMPORT_MAX_BYTES", tables.MAX_BYTES))


def read_upload(upload, default_name: str) -> tuple[str, bytes]:
    """An import form's file: its name (shortened) and its bytes, read up to one past
    :func:`import_limit` so that the import refuses a larger file by name."""
    return (upload.filename or default_name)[:200], upload.stream.read(import_limit() + 1)
