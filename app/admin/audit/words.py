"""The audit trail in plain words: each action's name in the reader's language, Jalali
dates, and what changed as «field: old → new» lines instead of JSON.

Pure functions over one event's stored action and details (a dict) plus look-up tables the
caller gives (province and municipality names, usernames), so a page of events costs no
further queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from app import workflow
from app.i18n import (
    N_,
    _,
    current_lang,
    digits,
    format_quantity,
    jalali_date,
    list_separator,
    persian_digits,
)

#: what each action is called (an English message id)
ACTIONS = {
    "answer.change": N_("Answer changed"),
    "api.read": N_("Read through the API"),
    "api_token.create": N_("API token made"),
    "api_token.refused": N_("Revoked or expired API token refused"),
    "api_token.revoke": N_("API token revoked"),
    "cycle.create": N_("Cycle created"),
    "cycle.open": N_("Cycle opened"),
    "cycle.close": N_("Cycle closed"),
    "cycle.deadline": N_("Declaration deadline changed"),
    "cycle.plan": N_("Evaluations planned"),
    "declaration.change": N_("Self-declaration changed"),
    "declaration.verify": N_("Declared value verified"),
    "evaluation.assign": N_("Assignments changed"),
    "evaluation.create": N_("Evaluation created"),
    "evaluation.report_texts": N_("Report texts written"),
    "evaluation.retier": N_("Tier changed"),
    "evaluation.submit": N_("Submitted for review"),
    "evaluation.return": N_("Returned to the inspectors"),
    "evaluation.approve": N_("Content approved"),
    "evaluation.sign": N_("Signed off"),
    "evidence.add": N_("Photo added"),
    "evidence.remove": N_("Photo removed"),
    "follow_up.change": N_("Recommendation followed up"),
    "municipality.create": N_("Municipality created"),
    "municipality.import": N_("Municipalities imported"),
    "municipality.update": N_("Municipality changed"),
    "province.create": N_("Province created"),
    "recommendation.respond": N_("Recommendation answered"),
    "report.issue": N_("Final report issued"),
    "report.render": N_("Final report rendered"),
    "rubric.publish": N_("Rubric version published"),
    "user.create": N_("User created"),
    "user.deactivate": N_("User deactivated"),
    "user.import": N_("Users imported"),
    "user.login": N_("Logged in"),
    "user.logout": N_("Logged out"),
    "user.password": N_("Password changed"),
    "user.password_reset": N_("Password reset"),
    "user.remember_reused": N_("A replaced remember cookie was used again"),
    "user.session_end": N_("Session ended"),
    "user.sessions_end": N_("Other sessions ended"),
    "user.update": N_("User changed"),
}

#: what each detail or field is called
FIELDS = {
    "active": N_("Active"), "area_hectares": N_("Area (hectares)"),
    "band": N_("Band"), "budget_million_rial": N_("Budget (million rials)"),
    "census_year": N_("Census year"), "comments": N_("Comments"), "county": N_("County"),
    "created": N_("Created"), "criterion": N_("Criterion"), "data": N_("Details"),
    "declaration_deadline": N_("Declaration deadline"), "due_date": N_("Due date"),
    "file": N_("File"), "full_name": N_("Full name"), "grade": N_("Grade"),
    "improvements": N_("Areas for improvement"), "inspectors": N_("Inspectors"),
    "is_open": N_("Open"), "message": N_("Message"), "municipality_id": N_("Municipality"),
    "na": N_("Not applicable"), "na_reason": N_("Reason"), "name": N_("Name"),
    "note": N_("Note"), "number": N_("Report number"), "outcome": N_("Outcome"),
    "population": N_("Population"), "progress": N_("Progress"), "province": N_("Province"),
    "province_id": N_("Province"), "reason": N_("Reason"),
    "recommendations": N_("Recommendations"), "reviewer": N_("Reviewer"),
    "roles": N_("Roles"), "score": N_("Adjusted score"), "staff_count": N_("Staff"),
    "strengths": N_("Strengths"), "tier": N_("Tier"), "title": N_("Title"),
    "username": N_("Username"), "value": N_("Value"), "verdict": N_("Verdict"),
    "visit_end": N_("Visits until"), "visit_start": N_("Visits from"), "year": N_("Year"),
}
#: details that are bookkeeping, not what a reader looks for
_HIDDEN = {"sha256", "content_sha256", "rubric_version", "device", "signed", "pages",
           "source", "row"}
#: longest value shown in a line (the CSV keeps everything)
_LONGEST = 160


@dataclass
class Names:
    """Names the details refer to by id."""

    provinces: dict[int, str] = field(default_factory=dict)
    municipalities: dict[int, str] = field(default_factory=dict)


def action_title(action: str) -> str:
    return _(ACTIONS[action]) if action in ACTIONS else action


def _field_title(key: str) -> str:
    """A detail's name; a key that is no known field (a criterion id such as «1.1») in the
    reader's digits."""
    return _(FIELDS[key]) if key in FIELDS else digits(key)


def say(value, key: str = "", names: Names | None = None) -> str:
    """One stored detail value in words: dates in Jalali, yes/no, names for ids, the
    workflow's titles for states, lists joined, "—" for nothing."""
    lang = current_lang()
    names = names or Names()
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key in ("province_id",) and isinstance(value, int):
        return names.provinces.get(value, str(value))
    if key in ("municipality_id",) and isinstance(value, int):
        return names.municipalities.get(value, str(value))
    if key in ("old", "new", "state") and isinstance(value, str) and value in workflow.STATES:
        return workflow.title(value)
    if key == "roles" and isinstance(value, list):
        from app.admin.users.services import role_label

        return list_separator(lang).join(role_label(str(r)) for r in value)
    if isinstance(value, (int, float)):
        return format_quantity(value, lang)
    if isinstance(value, list):
        return list_separator(lang).join(say(item, key, names) for item in value)
    if isinstance(value, dict):
        return "؛ ".join(f"{_field_title(k)}: {say(v, k, names)}" for k, v in value.items()
                         if k not in _HIDDEN)
    text = str(value)
    try:
        moment = dt.date.fromisoformat(text[:10]) if len(text) in (10, 19, 26) else None
    except ValueError:
        moment = None
    if moment is not None and text[4:5] == "-" and text[7:8] == "-":
        return jalali_date(moment, lang)
    if len(text) > _LONGEST:
        text = text[:_LONGEST - 1] + "…"
    return persian_digits(text) if lang == "fa" else text


def change_lines(details: dict | None, names: Names | None = None) -> list[str]:
    """What an event's details say, as lines: «field: old → new» for each changed field of
    an old/new pair (a whole value when it is not a mapping), «key: value» for the rest."""
    details = dict(details or {})
    lines = []
    old, new = details.pop("old", None), details.pop("new", None)
    if isinstance(old, dict) or isinstance(new, dict):
        old, new = old if isinstance(old, dict) else {}, new if isinstance(new, dict) else {}
        for key in list(dict.fromkeys([*old, *new])):
            if key in _HIDDEN or old.get(key) == new.get(key):
                continue
            lines.append(f"{_field_title(key)}: {say(old.get(key), key, names)} → "
                         f"{say(new.get(key), key, names)}")
    elif old is not None or new is not None:
        lines.append(f"{say(old, 'old', names)} → {say(new, 'new', names)}")
    for key, value in details.items():
        if key in _HIDDEN:
            continue
        lines.append(f"{_field_title(key)}: {say(value, key, names)}")
    return lines
