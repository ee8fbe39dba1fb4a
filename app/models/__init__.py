"""The domain model. One module per concern; import models from here."""

from app.models.audit import AuditEvent
from app.models.evaluations import (
    Answer,
    Assignment,
    Evaluation,
    EvaluationCycle,
    EvaluationStatus,
    Evidence,
    Recommendation,
    SaveReceipt,
    UnitResult,
)
from app.models.paradata import FlagNote, ParadataRecord
from app.models.places import Municipality, Province
from app.models.rubrics import RubricVersion
from app.models.sessions import UserSession
from app.models.users import ROLES, User

__all__ = [
    "ROLES", "Answer", "Assignment", "AuditEvent", "Evaluation", "EvaluationCycle",
    "EvaluationStatus", "Evidence", "FlagNote", "Municipality", "ParadataRecord", "Province",
    "Recommendation", "RubricVersion", "SaveReceipt", "UnitResult", "User", "UserSession",
]
