"""A replaced photo takes the old one's place: the same criterion and the same kind (a
municipality's declaration document stays a declaration document, not an inspection photo)."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from app.db import writing
from app.evidence import services as evidence
from app.extensions import db
from app.models import Declaration, Evaluation, User
from tests.test_access_matrix import world, world_template  # noqa: F401 - fixtures


def _jpeg(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


def test_a_replaced_declaration_document_stays_a_declaration_document(world):  # noqa: F811
    app, found = world
    with app.app_context():
        town = db.session.scalar(select(User).where(User.username == "dastjerd"))
        with writing():
            draft = db.session.get(Evaluation, found["draft_1405"])
            criterion = db.session.scalar(select(Declaration.criterion_id).where(
                Declaration.evaluation_id == draft.id))
            first = evidence.store_photo(draft, criterion, _jpeg("red"), "a.jpg", user=town,
                                         source="declaration")
            first_id = first.id
        with writing():
            second = evidence.replace_photo(found["draft_1405"], first_id, _jpeg("blue"),
                                            "b.jpg", user=town)
            assert (second.source, second.criterion_id) == ("declaration", criterion)
