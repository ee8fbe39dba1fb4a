"""The administration's home page, and the assembly of its concerns: users, places
(municipalities), cycles, planning and the audit trail, each a package with its own views and
services, all on one blueprint (``app.admin.common.bp``) whose guard admits active
administrators only. Thin views: load, check, validate, call a service inside ``writing()``,
respond."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select

from app import access, workflow

# the concerns register their routes on the blueprint when imported
from app.admin.audit import views as _audit  # noqa: E402,F401
from app.admin.common import bp
from app.admin.cycles import views as _cycles  # noqa: E402,F401
from app.admin.cycles.services import list_cycles
from app.admin.places import views as _places  # noqa: E402,F401
from app.admin.planning import views as _planning  # noqa: E402,F401
from app.admin.users import views as _users  # noqa: E402,F401
from app.admin.users.services import role_label
from app.extensions import db
from app.models import AuditEvent, EvaluationCycle, Municipality, User

__all__ = ["bp"]


@bp.context_processor
def _helpers():
    return {"role_label": role_label, "status_label": workflow.title}


@bp.route("/")
def index():
    counts = {
        "users": db.session.scalar(select(func.count(User.id)).where(
            User.active.is_(True), access.users_condition(current_user))),
        "municipalities": db.session.scalar(select(func.count(Municipality.id)).where(
            access.municipalities_condition(current_user))),
        "cycles": db.session.scalar(select(func.count(EvaluationCycle.id))),
        "events": db.session.scalar(select(func.count(AuditEvent.id)).where(
            access.audit_condition(current_user))),
    }
    return render_template("admin/index.html", counts=counts, cycles=list_cycles())
