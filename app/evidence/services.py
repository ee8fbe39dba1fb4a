"""Evidence photos: checked by content, re-encoded from pixels, stored under DATA_DIR/evidence.

Each use case (:func:`add_photo`, :func:`remove_photo`, :func:`replace_photo`) loads the
evaluation with a row lock, checks who may do it and that the evaluation is still a draft or
returned, and writes, all in the caller's one ``writing()`` transaction: a photo cannot slip
into an evaluation submitted or approved meanwhile; a photo can be removed or replaced until
the evaluation is submitted.

An upload is never stored as sent. Reading (:func:`read_upload`) and re-encoding
(:func:`reencode`) are separate steps: the first decodes the file (Pillow must recognise a
JPEG, PNG or WebP of a sane size), turns it upright, converts it to sRGB and keeps what the
file said about itself (EXIF, for reading capture time or place later); the second builds new
JPEGs from the pixels alone, so no comment (COM), EXIF, XMP, ICC profile or anything else
hidden in the upload (a polyglot's HTML, a GPS position) reaches the stored photo or its
thumbnail. The tablet's file name is kept only as text to show.

An upload key already used answers with the photo stored under it when the upload is the same
(a retry after a lost answer), and 409 when it carries another photo or criterion.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app import access, audit, workflow
from app.evaluations.services import ServiceError, rubric_for
from app.extensions import db
from app.i18n import _, format_number, normalise_text
from app.models import Evaluation, Evidence
from app.paradata import photos as photo_facts

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}
MAX_SIDE, THUMB_SIDE = 2000, 320
#: the longest side the tablet makes a photo before sending it (the server keeps MAX_SIDE)
CLIENT_MAX_SIDE = 2048
MAX_PER_CRITERION = 12


def evidence_dir() -> Path:
    path = Path(current_app.config["DATA_DIR"]) / "evidence"
    path.mkdir(parents=True, exist_ok=True)
    return path


def photo_path(evidence: Evidence, thumb: bool = False) -> Path:
    name = evidence.stored_name
    return evidence_dir() / (name.replace(".jpg", ".thumb.jpg") if thumb else name)


# --- use cases -------------------------------------------------------------------------------

def _locked_evaluation(evaluation_id: int, user, source: str = "inspection") -> Evaluation:
    """The evaluation, locked for this transaction, if `user` may see it (or, for a
    declaration's document, its declaration); 404 otherwise."""
    evaluation = db.session.get(Evaluation, evaluation_id, with_for_update=True,
                                populate_existing=True)
    seen = access.may_see_declaration if source == "declaration" else access.may_view
    if evaluation is None or not seen(user, evaluation):
        raise ServiceError(_("This page does not exist, or you do not have access to it."),
                           404)
    return evaluation


def _check_editable(evaluation: Evaluation, user, source: str) -> None:
    if workflow.is_locked(evaluation):
        raise ServiceError(_("This evaluation is approved and can no longer be changed."), 409)
    if not access.may_add_photo(user, evaluation, source):
        raise ServiceError(_("You cannot change this evaluation now."), 403)


def add_photo(evaluation_id: int, criterion_id: str, data: bytes, filename: str, *, user,
              client_key: str | None = None, source: str = "inspection",
              exif: bytes | None = None) -> Evidence:
    """Add one photo to a criterion of an evaluation the user may edit (in the caller's
    writing transaction): load and lock, check, re-encode, store. `source` "declaration":
    a document of the municipality's self-declaration."""
    evaluation = _locked_evaluation(evaluation_id, user, source)
    return store_photo(evaluation, criterion_id, data, filename, user=user,
                       client_key=client_key, source=source, exif=exif)


def store_photo(evaluation, criterion_id: str, data: bytes, filename: str, *, user,
                client_key: str | None = None, source: str = "inspection",
                exif: bytes | None = None) -> Evidence:
    """Check, re-encode and store one photo for a criterion of `evaluation`, loaded in the
    caller's writing transaction (see :func:`add_photo`). `exif`: the original's EXIF block,
    sent beside a photo the tablet made smaller (which dropped it); read, never stored."""
    if client_key:
        existing = db.session.scalar(select(Evidence).where(Evidence.client_key == client_key))
        if existing is not None:
            return _replayed(existing, evaluation, criterion_id, data)
    _check_editable(evaluation, user, source)
    criterion = rubric_for(evaluation).criterion(criterion_id)
    if criterion is None or not criterion.applies(evaluation.tier_id):
        raise ServiceError(_("This criterion is not part of this evaluation."), 422)
    _check_size(data)
    count = db.session.scalar(select(db.func.count(Evidence.id)).where(
        Evidence.evaluation_id == evaluation.id, Evidence.criterion_id == criterion.id))
    if count >= MAX_PER_CRITERION:
        raise ServiceError(_("At most %(n)s photos per criterion.",
                             n=format_number(MAX_PER_CRITERION, 0)), 422)

    upload = read_upload(data, current_app.config["PHOTO_MAX_PIXELS"])
    image, thumb = reencode(upload)
    token = secrets.token_hex(16)
    stored = f"{token}.jpg"
    directory = evidence_dir()
    written = [directory / stored, directory / f"{token}.thumb.jpg"]
    _when_done(db.session(), on_rollback=written)  # no orphan files if the insert fails
    _write_atomically(written[0], image)
    _write_atomically(written[1], thumb)
    width, height = _size_of(image)
    evidence = Evidence(
        evaluation_id=evaluation.id, criterion_id=criterion.id,
        original_name=normalise_text(Path(filename or "photo").name)[:200],
        stored_name=stored, sha256=hashlib.sha256(image).hexdigest(), width=width,
        height=height, size_bytes=len(image), client_key=client_key, uploaded_by_id=user.id,
        source=source)
    photo_facts.keep(evidence, upload, exif)  # capture time, GPS, hash: read, then dropped
    db.session.add(evidence)
    db.session.flush()
    audit.record("evidence.add", "evidence", evidence.id, user=user, evaluation=evaluation,
                 criterion=criterion.id, name=evidence.original_name, sha256=evidence.sha256)
    return evidence


def _replayed(existing: Evidence, evaluation, criterion_id: str, data: bytes) -> Evidence:
    """The photo already stored under a reused upload key, when this is the same upload;
    409 when the key comes with another evaluation, criterion or image."""
    reused = ServiceError(_("This upload key was already used for another photo. Nothing "
                            "was stored; send the photo again as a new upload."), 409)
    if existing.evaluation_id != evaluation.id or existing.criterion_id != criterion_id:
        raise reused
    try:
        _check_size(data)
        image, _thumb = reencode(read_upload(data, current_app.config["PHOTO_MAX_PIXELS"]))
    except ServiceError:
        raise reused from None
    if hashlib.sha256(image).hexdigest() != existing.sha256:
        raise reused
    return existing


def remove_photo(evaluation_id: int, photo_id: int, *, user) -> None:
    """Remove a photo of an evaluation the user may edit (in the caller's writing
    transaction); its files go once the removal is committed."""
    evaluation = _locked_evaluation(evaluation_id, user, "declaration")  # the widest sight
    evidence = db.session.get(Evidence, photo_id)
    if evidence is None or evidence.evaluation_id != evaluation.id:
        raise ServiceError(_("This page does not exist, or you do not have access to it."),
                           404)
    _check_editable(evaluation, user, evidence.source)
    delete_photo(evidence, evaluation, user=user)


def replace_photo(evaluation_id: int, photo_id: int, data: bytes, filename: str, *, user,
                  client_key: str | None = None, exif: bytes | None = None) -> Evidence:
    """Put a new photo in the place of photo `photo_id` (same criterion), in the caller's
    one writing transaction: the old one goes only if the new one is stored. A replay of the
    same upload key answers with the photo already stored under it."""
    evaluation = _locked_evaluation(evaluation_id, user, "declaration")  # the widest sight
    evidence = db.session.get(Evidence, photo_id)
    if client_key:
        existing = db.session.scalar(select(Evidence).where(Evidence.client_key == client_key))
        if existing is not None:
            _check_editable(evaluation, user, existing.source)
            return _replayed(existing, evaluation, existing.criterion_id, data)
    if evidence is None or evidence.evaluation_id != evaluation.id:
        raise ServiceError(_("This photo is no longer there; it may have been removed."), 404)
    _check_editable(evaluation, user, evidence.source)
    criterion_id, source = evidence.criterion_id, evidence.source
    delete_photo(evidence, evaluation, user=user)
    # the new one takes the old one's place: the same criterion and the same kind (a
    # declaration's document stays a declaration's document)
    return store_photo(evaluation, criterion_id, data, filename, user=user,
                       client_key=client_key, source=source, exif=exif)


def delete_photo(evidence: Evidence, evaluation, *, user) -> None:
    if workflow.is_locked(evaluation):
        raise ServiceError(_("This evaluation is approved and can no longer be changed."), 409)
    audit.record("evidence.remove", "evidence", evidence.id, user=user, evaluation=evaluation,
                 criterion=evidence.criterion_id, name=evidence.original_name)
    _when_done(db.session(), on_commit=[photo_path(evidence), photo_path(evidence, thumb=True)])
    db.session.delete(evidence)
    db.session.flush()


def _check_size(data: bytes) -> None:
    limit = current_app.config["PHOTO_MAX_BYTES"]
    if len(data) > limit:
        raise ServiceError(_("The photo is too large (at most %(mb)s MB).",
                             mb=format_number(limit // (1024 * 1024), 0)), 413)


# --- reading and re-encoding -----------------------------------------------------------------

@dataclass
class Upload:
    """A photo as read from an upload: its pixels (RGB, upright, sRGB) and what the file said
    about itself. Nothing but the pixels is ever stored."""

    image: Image.Image
    #: the file's format as Pillow recognised it ("JPEG", "PNG", "WEBP", "MPO")
    format: str
    #: the file's EXIF as read (capture time, GPS …; its orientation is already applied)
    exif: Image.Exif
    #: the embedded colour profile (already applied to the pixels), if any
    icc_profile: bytes | None = None

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height


def read_upload(data: bytes, max_pixels: int) -> Upload:
    """Decode an uploaded photo; ServiceError (415, 413) when it is not a usable image."""
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
                found_format = original.format
                exif = original.getexif()
                icc = original.info.get("icc_profile") or None
                upright = ImageOps.exif_transpose(original)
                pixels = _to_srgb(_flatten(upright), icc)
        except ServiceError:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError,
                Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise not_image from None
    return Upload(image=pixels, format=found_format, exif=exif, icc_profile=icc)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB; transparent parts on white (as the photo would look on the page)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and
                                                  "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB") if image.mode != "RGB" else image


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """The pixels converted from the file's embedded profile to sRGB (what browsers assume of
    a JPEG without one); a profile that cannot be read is ignored."""
    if not icc:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"),
                                         outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new RGB image made of `image`'s pixels alone: no info, no metadata of any kind."""
    return Image.frombytes("RGB", image.size, image.convert("RGB").tobytes())


def _fit(image: Image.Image, side: int) -> Image.Image:
    if max(image.size) <= side:
        return image
    scale = side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def reencode(upload: Upload) -> tuple[bytes, bytes]:
    """(photo, thumbnail) as new JPEGs from the upload's pixels only (see the module doc)."""
    photo_image = _pixels_only(_fit(upload.image, MAX_SIDE))
    photo = io.BytesIO()
    photo_image.save(photo, "JPEG", quality=85, optimize=True)
    thumb_image = _pixels_only(_fit(photo_image, THUMB_SIDE))
    thumb = io.BytesIO()
    thumb_image.save(thumb, "JPEG", quality=75)
    return photo.getvalue(), thumb.getvalue()


def _size_of(jpeg: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(jpeg)) as image:
        return image.size


# --- files -----------------------------------------------------------------------------------

def _when_done(session: Session, *, on_commit=(), on_rollback=()) -> None:
    """Delete `on_commit` files once the transaction commits, `on_rollback` ones if it rolls
    back (the database row and the files on disk stay in step)."""
    pending = session.info.setdefault("arzyab_files", {"commit": [], "rollback": []})
    pending["commit"].extend(on_commit)
    pending["rollback"].extend(on_rollback)


def _settle(session: Session, outcome: str) -> None:
    pending = session.info.pop("arzyab_files", None)
    for path in (pending or {}).get(outcome, []):
        Path(path).unlink(missing_ok=True)


event.listen(Session, "after_commit", lambda session: _settle(session, "commit"))
event.listen(Session, "after_rollback", lambda session: _settle(session, "rollback"))


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
