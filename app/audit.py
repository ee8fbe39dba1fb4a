"""Writing the audit trail. Every change of an evaluation, answer, rubric or user goes here."""

from __future__ import annotations

from sqlalchemy import insert

from app.extensions import db
from app.models import AuditEvent


def record(action: str, object_type: str, object_id: object, *, user=None, evaluation=None,
           municipality_id: int | None = None, **details) -> AuditEvent:
    """Add one audit event to the current transaction (committed with the change itself)."""
    row = AuditEvent(**event(action, object_type, object_id, user=user, evaluation=evaluation,
                             municipality_id=municipality_id, **details))
    db.session.add(row)
    return row


def event(action: str, object_type: str, object_id: object, *, user=None, evaluation=None,
          municipality_id: int | None = None, **details) -> dict:
    """One audit event's columns (as :func:`record` takes them), for :func:`write`."""
    if evaluation is not None and municipality_id is None:
        municipality_id = evaluation.municipality_id
    return {"action": action, "object_type": object_type, "object_id": str(object_id),
            "user_id": getattr(user, "id", None),
            "evaluation_id": getattr(evaluation, "id", None),
            "municipality_id": municipality_id, "details": _plain(details)}


def write(events: list[dict], connection=None) -> None:
    """Insert audit events made by :func:`event` in one statement (same transaction;
    `connection`: the transaction's, when the caller holds it)."""
    if events:
        (db.session if connection is None else connection).execute(INSERT, events)


#: the audit rows of a batch, in one statement (:func:`write`; a save's plan lists it)
INSERT = insert(AuditEvent.__table__)


def _plain(value):
    """JSON-safe copy of `value` (dates as ISO text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
