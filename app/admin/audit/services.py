"""The audit trail: finding events (by user, municipality, evaluation, action and dates,
within what the administrator may read), a page of them in plain words, and the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import access
from app.admin.audit import words
from app.extensions import db
from app.i18n import LOCAL_TIMEZONE, _
from app.models import AuditEvent, Municipality, Province

# --- the audit trail -------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilter:
    """What to show of the audit trail; None means "any". Dates are whole days in Iran."""

    user_id: int | None = None
    municipality_id: int | None = None
    evaluation_id: int | None = None
    action: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _utc_start_of(day: dt.date) -> dt.datetime:
    """The stored (naive UTC) time at which `day` begins in Iran."""
    local = dt.datetime.combine(day, dt.time.min, tzinfo=LOCAL_TIMEZONE)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _audit_conditions(filters: AuditFilter) -> list:
    conditions = []
    if filters.user_id is not None:
        conditions.append(AuditEvent.user_id == filters.user_id)
    if filters.municipality_id is not None:
        conditions.append(AuditEvent.municipality_id == filters.municipality_id)
    if filters.evaluation_id is not None:
        conditions.append(AuditEvent.evaluation_id == filters.evaluation_id)
    if filters.action:
        conditions.append(AuditEvent.action == filters.action)
    if filters.date_from is not None:
        conditions.append(AuditEvent.at >= _utc_start_of(filters.date_from))
    if filters.date_to is not None:
        conditions.append(AuditEvent.at < _utc_start_of(filters.date_to + dt.timedelta(1)))
    return conditions


def audit_query(filters: AuditFilter, actor=None):
    """A select() of the audit events matching `filters` that `actor` may read (app.access;
    all without an actor), newest first."""
    statement = (select(AuditEvent).options(selectinload(AuditEvent.user))
                 .where(*_audit_conditions(filters))
                 .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    if actor is not None:
        statement = statement.where(access.audit_condition(actor))
    return statement


def audit_page(filters: AuditFilter, page: int = 1, per_page: int = 50, actor=None):
    """One page of matching events (Flask-SQLAlchemy's Pagination: `items`, `total`,
    `pages`, …), through the administration's one paginator."""
    from app.admin.common import paginate

    return paginate(audit_query(filters, actor), page, per_page)


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct()
                                   .order_by(AuditEvent.action)))


def names() -> words.Names:
    """The names audit details refer to by id (provinces, municipalities)."""
    return words.Names(
        provinces=dict(db.session.execute(select(Province.id, Province.name)).all()),
        municipalities=dict(db.session.execute(select(Municipality.id,
                                                      Municipality.name)).all()))


def described(events, lookup: words.Names | None = None) -> list[dict]:
    """Events as the page shows them: who, what (in words), on what, and the change lines."""
    lookup = lookup or names()
    return [{"event": event, "action": words.action_title(event.action),
             "lines": words.change_lines(event.details, lookup),
             "municipality": lookup.municipalities.get(event.municipality_id, "")}
            for event in events]


#: cells a spreadsheet would run as a formula (CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def audit_csv(filters: AuditFilter, *, limit: int = 100_000, actor=None) -> str:
    """The matching events as CSV text (UTF-8 with BOM, so Excel reads the Persian), newest
    first, at most `limit` rows. Times are Iran's local time in Jalali, and UTC ISO; the
    action and the changes in words, and the details as stored (JSON) for machines."""
    from app.i18n import jalali_datetime

    lookup = names()
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["id", _("Time (Jalali)"), "utc", _("User"), _("Action"), "action",
                     "object_type", "object_id", _("Evaluation"), _("Municipality"),
                     _("Changes"), _("Details")])
    for event in db.session.scalars(audit_query(filters, actor).limit(limit)):
        writer.writerow([_safe_cell(v) for v in (
            event.id, jalali_datetime(event.at, "en"),
            event.at.isoformat(timespec="seconds") + "Z" if event.at else "",
            event.user.username if event.user else "", words.action_title(event.action),
            event.action, event.object_type, event.object_id, event.evaluation_id or "",
            lookup.municipalities.get(event.municipality_id, event.municipality_id or ""),
            " | ".join(words.change_lines(event.details, lookup)),
            json.dumps(event.details or {}, ensure_ascii=False, sort_keys=True))])
    return out.getvalue()


