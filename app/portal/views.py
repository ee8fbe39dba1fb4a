"""The municipality's home: its evaluations (the self-declaration of the open ones, the
finals and their reports), and the recommendations of its finals with their answers, the
overdue ones flagged. Municipality accounts only (app.access)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from app import access, workflow
from app.declarations import services as declarations
from app.extensions import db
from app.models import Evaluation, EvaluationCycle
from app.recommendations import services as recommendations

bp = Blueprint("portal", __name__, url_prefix="/municipality")
access.guard(bp, "portal")


@bp.route("/")
def home():
    town = current_user.municipality
    # its own evaluations: every one for its declaration, the finals for their results
    evaluations = [] if town is None else list(db.session.scalars(
        select(Evaluation).join(EvaluationCycle)
        .where(access.declarations_condition(current_user))
        .order_by(EvaluationCycle.year.desc())))
    rows = []
    for evaluation in evaluations:
        rows.append({
            "evaluation": evaluation, "state": evaluation.state,
            "final": workflow.is_final(evaluation),
            "declares": bool(declarations.declared_criteria(evaluation)),
            "may_declare": access.may_declare(current_user, evaluation),
            "summary": declarations.summary(evaluation)})
    items = recommendations.of_municipality(town.id) if town is not None else []
    return render_template("portal/home.html", town=town, rows=rows, items=items,
                           overdue=[i for i in items if i["overdue"]])
