"""What a deactivation's confirmation lists: the evaluations not yet locked that the user
inspects or reviews, each once (on PostgreSQL too, where rows with JSON cannot be DISTINCT)."""

from __future__ import annotations

from sqlalchemy import select

from app import workflow
from app.admin.users.services import open_assignments
from app.extensions import db
from app.models import Assignment, Evaluation, User


def test_open_assignments_are_the_unlocked_ones_each_once(demo_app):
    with demo_app.app_context():
        inspector = db.session.scalar(select(User).where(User.username == "inspector"))
        mine = db.session.scalars(select(Evaluation).join(Assignment).where(
            Assignment.user_id == inspector.id)).all()
        expected = sorted({e.id for e in mine if not workflow.STATES[e.status].locked})
        assert expected, "the demo inspector has open work"
        found = [e.id for e in open_assignments(inspector)]
        assert found == expected
