"""Evidence photos: checked by content, re-encoded, stored under DATA_DIR/evidence.

An upload is never stored as sent: Pillow must recognise it as a JPEG, PNG or WebP image of a
sane size; it is turned upright, stripped of metadata (EXIF, GPS) and saved again as JPEG,
with a thumbnail beside it. The tablet's file name is kept only as text to show.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import tempfile
import warnings
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from app import audit
from app.evaluations.services import ServiceError, rubric_for
from app.extensions import db
from app.i18n import _, normalise_text
from app.models import Evidence

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}
MAX_SIDE, THUMB_SIDE = 2000, 320
MAX_PER_CRITERION = 12


def evidence_dir() -> Path:
    path = Path(current_app.config["DATA_DIR"]) / "evidence"
    path.mkdir(parents=True, exist_ok=True)
    return path


def photo_path(evidence: Evidence, thumb: bool = False) -> Path:
    name = evidence.stored_name
    return evidence_dir() / (name.replace(".jpg", ".thumb.jpg") if thumb else name)


def store_photo(evaluation, criterion_id: str, data: bytes, filename: str, *, user,
                client_key: str | None = None) -> Evidence:
    """Check, re-encode and store one photo for a criterion of `evaluation`."""
    if client_key:
        existing = db.session.scalar(select(Evidence).where(Evidence.client_key == client_key))
        if existing is not None:
            if existing.evaluation_id != evaluation.id:
                raise ServiceError(_("This upload key was already used."), 409)
            return existing
    if evaluation.is_locked:
        raise ServiceError(_("This evaluation is approved and can no longer be changed."), 409)
    criterion = rubric_for(evaluation).criterion(criterion_id)
    if criterion is None or not criterion.applies(evaluation.tier_id):
        raise ServiceError(_("This criterion is not part of this evaluation."), 422)
    limit = current_app.config["PHOTO_MAX_BYTES"]
    if len(data) > limit:
        raise ServiceError(_("The photo is too large (at most %(mb)s MB).",
                             mb=limit // (1024 * 1024)), 413)
    count = db.session.scalar(select(db.func.count(Evidence.id)).where(
        Evidence.evaluation_id == evaluation.id, Evidence.criterion_id == criterion.id))
    if count >= MAX_PER_CRITERION:
        raise ServiceError(_("At most %(n)s photos per criterion.", n=MAX_PER_CRITERION), 422)

    image, thumb = _reencode(data, current_app.config["PHOTO_MAX_PIXELS"])
    token = secrets.token_hex(16)
    stored = f"{token}.jpg"
    directory = evidence_dir()
    _write_atomically(directory / stored, image)
    _write_atomically(directory / f"{token}.thumb.jpg", thumb)
    width, height = Image.open(io.BytesIO(image)).size
    evidence = Evidence(
        evaluation_id=evaluation.id, criterion_id=criterion.id,
        original_name=normalise_text(Path(filename or "photo").name)[:200],
        stored_name=stored, sha256=hashlib.sha256(image).hexdigest(), width=width,
        height=height, size_bytes=len(image), client_key=client_key,
        uploaded_by_id=user.id)
    db.session.add(evidence)
    db.session.flush()
    audit.record("evidence.add", "evidence", evidence.id, user=user, evaluation=evaluation,
                 criterion=criterion.id, name=evidence.original_name, sha256=evidence.sha256)
    return evidence


def delete_photo(evidence: Evidence, evaluation, *, user) -> None:
    if evaluation.is_locked:
        raise ServiceError(_("This evaluation is approved and can no longer be changed."), 409)
    audit.record("evidence.remove", "evidence", evidence.id, user=user, evaluation=evaluation,
                 criterion=evidence.criterion_id, name=evidence.original_name)
    for path in (photo_path(evidence), photo_path(evidence, thumb=True)):
        path.unlink(missing_ok=True)
    db.session.delete(evidence)
    db.session.flush()


def _reencode(data: bytes, max_pixels: int) -> tuple[bytes, bytes]:
    """(photo, thumbnail) as clean JPEG bytes, or ServiceError when it is not a usable image."""
    not_image = ServiceError(_("This file is not a photo (JPEG, PNG or WebP)."), 415)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise not_image
                if probe.width * probe.height > max_pixels:
                    raise ServiceError(_("The photo has too many pixels."), 413)
                probe.verify()
            with Image.open(io.BytesIO(data)) as original:
                original.load()
                upright = ImageOps.exif_transpose(original).convert("RGB")
        except ServiceError:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
                Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise not_image from None
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    photo = io.BytesIO()
    upright.save(photo, "JPEG", quality=85, optimize=True)
    upright.thumbnail((THUMB_SIDE, THUMB_SIDE))
    thumb = io.BytesIO()
    upright.save(thumb, "JPEG", quality=75)
    return photo.getvalue(), thumb.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
