"""Signs that an evaluation may have been filled in at a desk: computed per evaluation from
its paradata, its photos and its audit trail, shown to reviewers and managers with the
reason. A flag never blocks anything; a reviewer may explain it (app.paradata.services).

Each flag has a stable key (its kind and what it is about), so an explanation stays with it
when the flags are computed again. The thresholds are in the configuration (FLAG_*).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.i18n import (
    LOCAL_TIMEZONE,
    _,
    criterion_id,
    digits,
    format_number,
    jalali_date,
    jalali_datetime,
)
from app.models import AuditEvent, Evaluation, Evidence, FlagNote, Municipality
from app.paradata import geo, record
from app.paradata.photos import hamming

KINDS = ("fast", "place-far", "photo-time", "photo-far", "photo-same", "changed-after-return")


@dataclass
class Flag:
    #: stable: the kind and what it concerns, e.g. "fast:waste", "photo-far:17"
    key: str
    kind: str
    #: the reason, said in the reader's language
    reason: str
    #: the newest explanation {"note", "user", "at"}, or None
    explained: dict | None = None


def compute(evaluation: Evaluation, *, summary: dict | None = None) -> list[Flag]:
    """Every flag of the evaluation, with its newest explanation."""
    config = current_app.config
    summary = record.summary(evaluation) if summary is None else summary
    centre = geo.town_centre(evaluation.municipality)
    photos = list(db.session.scalars(select(Evidence).where(
        Evidence.evaluation_id == evaluation.id).order_by(Evidence.id)))
    flags = (_fast(evaluation, summary, config["FLAG_FAST_SHARE"])
             + _places(summary, centre, config["FLAG_FAR_KM"])
             + _photo_times(evaluation, summary, photos, config["FLAG_PHOTO_SLACK_MINUTES"])
             + _photo_places(photos, centre, config["FLAG_FAR_KM"])
             + _same_photos(evaluation, photos, config["FLAG_SAME_PHOTO_BITS"])
             + _changed_after_return(evaluation, config["FLAG_CHANGED_AFTER_RETURN"]))
    notes = explanations(evaluation)
    for flag in flags:
        flag.explained = notes.get(flag.key)
    return flags


def explanations(evaluation) -> dict[str, dict]:
    """The newest note per flag key."""
    notes = {}
    for note in db.session.scalars(select(FlagNote).where(
            FlagNote.evaluation_id == evaluation.id).order_by(FlagNote.id)):
        notes[note.flag] = {"note": note.note, "user_id": note.user_id, "at": note.at}
    return notes


def _km(value: float) -> str:
    return format_number(value, 1)


def _photo_name(photo: Evidence) -> str:
    return _("the photo «%(name)s» of criterion %(id)s", name=photo.original_name,
             id=criterion_id(photo.criterion_id))


# --- time on the form ------------------------------------------------------------------------

def _fast(evaluation, summary, share: float) -> list[Flag]:
    """Units answered with far less active time on the form than the rubric expects. Judged
    only where the form recorded paradata (a form posted without its script records none)."""
    if not summary["records"]:
        return []
    from app.evaluations.services import rubric_for

    answered = {a.criterion_id for a in evaluation.answers}
    flags = []
    for unit in rubric_for(evaluation).units:
        if not unit.expected_minutes or not unit.applies(evaluation.tier_id):
            continue
        if not any(c.id in answered for c in unit.criteria):
            continue
        minutes = summary["units"].get(unit.id, 0) / 60
        if minutes < share * unit.expected_minutes:
            flags.append(Flag(f"fast:{unit.id}", "fast", _(
                "%(unit)s was answered in %(minutes)s minutes of active time on the form; the "
                "rubric expects about %(expected)s minutes on site.", unit=unit.title,
                minutes=format_number(minutes, 1), expected=format_number(
                    unit.expected_minutes, 0))))
    return flags


# --- places ------------------------------------------------------------------------------------

def _places(summary, centre, far_km: float) -> list[Flag]:
    if centre is None:
        return []
    flags = []
    for index, place in enumerate(summary["locations"]):
        km = geo.distance_km(centre, (place["lat"], place["lon"]))
        slack = (place.get("accuracy") or 0) / 1000
        if km - slack > far_km:
            moment = (_("at the start of the visit") if place["moment"] == "start"
                      else _("at submission"))
            flags.append(Flag(f"place-far:{place['moment']}:{index}", "place-far", _(
                "The device was %(km)s km from the town centre %(moment)s (accurate to "
                "%(m)s m).", km=_km(km), moment=moment,
                m=format_number(place.get("accuracy") or 0, 0))))
    return flags


def _photo_places(photos, centre, far_km: float) -> list[Flag]:
    if centre is None:
        return []
    flags = []
    for photo in photos:
        if photo.latitude is None or photo.longitude is None:
            continue
        km = geo.distance_km(centre, (photo.latitude, photo.longitude))
        if km > far_km:
            flags.append(Flag(f"photo-far:{photo.id}", "photo-far", _(
                "%(photo)s was taken %(km)s km from the town centre.",
                photo=_photo_name(photo), km=_km(km))))
    return flags


# --- photo times -------------------------------------------------------------------------------

def visit_window(evaluation, summary) -> tuple[dt.datetime, dt.datetime] | None:
    """The visit as the form saw it (device times, UTC), else the recorded visit day."""
    visit = summary["visit"]
    if visit["start"] is not None:
        return visit["start"], visit["end"] or visit["start"]
    if evaluation.visit_date is not None:  # the visit day, local midnight to midnight
        start = dt.datetime.combine(evaluation.visit_date, dt.time(), tzinfo=LOCAL_TIMEZONE)
        start = start.astimezone(dt.UTC).replace(tzinfo=None)
        return start, start + dt.timedelta(days=1)
    return None


def _photo_times(evaluation, summary, photos, slack_minutes: int) -> list[Flag]:
    window = visit_window(evaluation, summary)
    if window is None:
        return []
    slack = dt.timedelta(minutes=slack_minutes)
    start, end = window
    flags = []
    for photo in photos:
        if photo.taken_at is None:
            continue
        if photo.taken_at < start - slack or photo.taken_at > end + slack:
            flags.append(Flag(f"photo-time:{photo.id}", "photo-time", _(
                "%(photo)s was taken %(when)s, outside the visit (%(start)s to %(end)s).",
                photo=_photo_name(photo), when=jalali_datetime(photo.taken_at),
                start=jalali_datetime(start), end=jalali_datetime(end))))
    return flags


# --- the same photo elsewhere -------------------------------------------------------------------

def _same_photos(evaluation, photos, bits: int) -> list[Flag]:
    """Photos whose perceptual hash matches (within `bits` of 64) a photo of another
    evaluation, of this town or another. Exact matches come from the index; near ones are
    compared in Python over the photos that have a hash."""
    mine = [p for p in photos if p.phash]
    if not mine:
        return []
    query = select(Evidence.id, Evidence.evaluation_id, Evidence.phash).where(
        Evidence.evaluation_id != evaluation.id, Evidence.phash.is_not(None))
    if bits == 0:
        query = query.where(Evidence.phash.in_([p.phash for p in mine]))
    others = db.session.execute(query.order_by(Evidence.id)).all()
    flags = []
    for photo in mine:
        match = next((o for o in others if hamming(o.phash, photo.phash) <= bits), None)
        if match is None:
            continue
        other = db.session.get(Evaluation, match.evaluation_id)
        if other.municipality_id == evaluation.municipality_id:
            reason = _("%(photo)s is the same picture as a photo of this town's evaluation of "
                       "year %(year)s.", photo=_photo_name(photo), year=digits(other.cycle.year))
        else:
            town = db.session.get(Municipality, other.municipality_id)
            reason = _("%(photo)s is the same picture as a photo in the evaluation of "
                       "%(town)s, year %(year)s.", photo=_photo_name(photo), town=town.name,
                       year=digits(other.cycle.year))
        flags.append(Flag(f"photo-same:{photo.id}", "photo-same", reason))
    return flags


# --- answers changed after a return ---------------------------------------------------------

def _answer_differs(details: dict) -> bool:
    """An audited change of the answer itself (value, structured parts, N/A), not only of
    its note."""
    old, new = details.get("old") or {}, details.get("new") or {}
    return any(old.get(key) != new.get(key) for key in ("value", "data", "na"))


def _changed_after_return(evaluation, threshold: int) -> list[Flag]:
    returned = db.session.scalar(select(AuditEvent).where(
        AuditEvent.evaluation_id == evaluation.id, AuditEvent.action == "evaluation.return")
        .order_by(AuditEvent.id.desc()).limit(1))
    if returned is None:
        return []
    changed = {event.object_id for event in db.session.scalars(select(AuditEvent).where(
        AuditEvent.evaluation_id == evaluation.id, AuditEvent.action == "answer.change",
        AuditEvent.id > returned.id)) if _answer_differs(event.details)}
    with_photo = set(db.session.scalars(select(Evidence.criterion_id).where(
        Evidence.evaluation_id == evaluation.id, Evidence.uploaded_at >= returned.at)))
    bare = sorted(changed - with_photo)
    if len(bare) < threshold:
        return []
    return [Flag("changed-after-return", "changed-after-return", _(
        "%(n)s answers were changed after the evaluation was returned on %(date)s, with no new "
        "photo for them.", n=format_number(len(bare), 0), date=jalali_date(returned.at)))]
