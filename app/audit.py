"""Writing the audit trail. Every change of an evaluation, answer, rubric or user goes here."""

from __future__ import annotations

from app.extensions import db
from app.models import AuditEvent


def record(action: str, object_type: str, object_id: object, *, user=None, evaluation=None,
           municipality_id: int | None = None, **details) -> AuditEvent:
    """Add one audit event to the current transaction (committed with the change itself)."""
    if evaluation is not None and municipality_id is None:
        municipality_id = evaluation.municipality_id
    event = AuditEvent(
        action=action, object_type=object_type, object_id=str(object_id),
        user_id=getattr(user, "id", None),
        evaluation_id=getattr(evaluation, "id", None), municipality_id=municipality_id,
        details=_plain(details))
    db.session.add(event)
    return event


def _plain(value):
    """JSON-safe copy of `value` (dates as ISO text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
