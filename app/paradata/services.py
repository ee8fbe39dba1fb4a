"""Use cases of the paradata: explain a flag; the tables of what is recorded and flagged."""

from __future__ import annotations

from sqlalchemy.orm import selectinload

from app import access, audit
from app.evaluations.services import ServiceError
from app.extensions import db
from app.i18n import _, format_number, jalali_datetime, normalise_text
from app.models import Evaluation, FlagNote
from app.paradata import flags as flag_rules
from app.paradata import record
from app.paradata.visibility import may_see

NOTE_MAX_CHARS = 2000


def explain_flag(evaluation: Evaluation, flag_key: str, note: str, *, user) -> FlagNote:
    """Keep a reviewer's explanation of one of the evaluation's flags (audited). The flag
    must be one the evaluation has now; a later note replaces an earlier one on the page,
    both stay in the database."""
    if not may_see(user, "explain", evaluation):
        raise ServiceError(_("You cannot explain the flags of this evaluation."), 403)
    note = normalise_text(note or "").strip()
    if not note:
        raise ServiceError(_("Write what explains the flag."), 422)
    if len(note) > NOTE_MAX_CHARS:
        raise ServiceError(_("The note is too long (at most %(n)s characters).",
                             n=format_number(NOTE_MAX_CHARS, 0)), 422)
    if flag_key not in {f.key for f in flag_rules.compute(evaluation)}:
        raise ServiceError(_("This flag is no longer raised; there is nothing to explain."), 409)
    row = FlagNote(evaluation_id=evaluation.id, flag=flag_key, note=note, user_id=user.id)
    db.session.add(row)
    db.session.flush()
    audit.record("flag.explain", "evaluation", evaluation.id, user=user, evaluation=evaluation,
                 flag=flag_key, note=note)
    return row


def flagged_evaluations(user, *, limit: int = 50) -> list[dict]:
    """The evaluations the user may see flags of that have open (unexplained) flags, the most
    flagged first: for the dashboard."""
    rows = []
    query = access.visible_evaluations(user).options(
        selectinload(Evaluation.municipality), selectinload(Evaluation.cycle),
        selectinload(Evaluation.answers))
    for evaluation in db.session.scalars(query.order_by(Evaluation.id)):
        if not may_see(user, "flags", evaluation):
            continue
        flags = flag_rules.compute(evaluation)
        open_flags = [f for f in flags if not f.explained]
        if flags:
            rows.append({"evaluation": evaluation, "flags": flags, "open": len(open_flags)})
    rows.sort(key=lambda r: (-r["open"], -len(r["flags"]), r["evaluation"].id))
    return rows[:limit]


def export_rows(user) -> list[dict]:
    """One row per evaluation the user may export the paradata of."""
    rows = []
    if not may_see(user, "export"):
        return rows
    query = access.visible_evaluations(user).options(
        selectinload(Evaluation.municipality), selectinload(Evaluation.cycle),
        selectinload(Evaluation.answers))
    for evaluation in db.session.scalars(query.order_by(Evaluation.id)):
        if not may_see(user, "export", evaluation):
            continue
        summary = record.summary(evaluation)
        flags = flag_rules.compute(evaluation, summary=summary)
        rows.append({"evaluation": evaluation, "summary": summary, "flags": flags})
    return rows


def export_table(user):
    """Columns and rows of the paradata export (app.dashboard.exports writes the file)."""
    from app.dashboard.exports import Column
    from app.dashboard.presentation import status_title

    columns = [Column(_("Evaluation"), 10), Column(_("Municipality"), 18), Column(_("Year"), 8),
               Column(_("Status"), 12), Column(_("Visit start (device)"), 18),
               Column(_("Visit end (device)"), 18), Column(_("Active minutes"), 10),
               Column(_("Reports received"), 10), Column(_("Devices"), 8),
               Column(_("Places recorded"), 10), Column(_("Flags"), 8),
               Column(_("Explained"), 8), Column(_("Reasons"), 60)]
    table = []
    for row in export_rows(user):
        evaluation, summary, flags = row["evaluation"], row["summary"], row["flags"]
        visit = summary["visit"]
        table.append([
            evaluation.id, evaluation.municipality.name, evaluation.cycle.year,
            status_title(evaluation.status),
            jalali_datetime(visit["start"]) if visit["start"] else "",
            jalali_datetime(visit["end"]) if visit["end"] else "",
            round(sum(summary["units"].values()) / 60, 1), summary["records"],
            len(summary["devices"]), len(summary["locations"]), len(flags),
            sum(1 for f in flags if f.explained),
            " | ".join(f.reason for f in flags)])
    return columns, table


def set_record_location(province, on: bool, *, user) -> bool:
    """Turn the recording of the device's place at the visit's start and submission on or
    off for a province (audited); True when it changed."""
    if not access.may_administer_province(user, province.id):
        raise ServiceError(_("Only an administrator of this province can change this."), 403)
    if bool(province.record_location) == bool(on):
        return False
    old, province.record_location = bool(province.record_location), bool(on)
    db.session.flush()
    audit.record("province.record_location", "province", province.id, user=user,
                 name=province.name, old=old, new=bool(on))
    return True
