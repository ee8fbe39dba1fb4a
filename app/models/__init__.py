"""The domain model. One module per concern; import models from here."""

from app.models.audit import AuditEvent
from app.models.evaluations import (
    Answer,
    Assignment,
    Declaration,
    Evaluation,
    EvaluationCycle,
    EvaluationStatus,
    Evidence,
    FollowUp,
    Recommendation,
    RecommendationResponse,
    SaveReceipt,
    UnitResult,
)
from app.models.paradata import FlagNote, ParadataRecord
from app.models.places import Municipality, Province
from app.models.rubrics import RubricVersion
from app.models.sessions import UserSession
from app.models.tokens import ApiToken
from app.models.users import MUNICIPALITY_ROLES, PROVINCE_ROLES, ROLES, User

__all__ = [
    "MUNICIPALITY_ROLES", "PROVINCE_ROLES", "ROLES", "Answer", "ApiToken", "Assignment",
    "AuditEvent",
    "Declaration", "Evaluation", "EvaluationCycle", "EvaluationStatus", "Evidence", "FlagNote",
    "FollowUp", "Municipality", "ParadataRecord", "Province", "Recommendation",
    "RecommendationResponse", "RubricVersion", "SaveReceipt", "UnitResult", "User",
    "UserSession",
]
