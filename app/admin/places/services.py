"""Provinces and municipalities: finding them, changing a municipality's profile, importing
profiles from a file. One documented function per use case; each flushes, the caller commits;
every change is audited with what it was and what it became."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import access, audit
from app.admin.places import importing
from app.errors import ServiceError
from app.extensions import db
from app.i18n import _, normalise_text, search_key
from app.models import Municipality, Province

# --- provinces and municipalities ------------------------------------------------------------

def provinces_for(actor) -> list[Province]:
    """The provinces `actor` administers (app.access): their own when scoped, else all."""
    query = select(Province).order_by(Province.name)
    scope = access.admin_provinces(actor)
    if scope is not None:
        query = query.where(Province.id.in_(scope))
    return list(db.session.scalars(query))


def find_province(name: str) -> Province | None:
    key = search_key(name)
    return next((p for p in db.session.scalars(select(Province)) if search_key(p.name) == key),
                None)


def municipalities_query(query: str = "", province_ids=None):
    """A select() of the municipalities whose name or county contains `query`, spelled with
    Persian or Arabic letters and either kind of digits alike (both sides folded by
    ``search_key``); limited to `province_ids` when given; by name."""
    statement = select(Municipality).options(selectinload(Municipality.province))
    if province_ids is not None:
        statement = statement.where(Municipality.province_id.in_(list(province_ids)))
    key = search_key(query)
    if key:
        statement = statement.where(
            Municipality.name_key.contains(key, autoescape=True)
            | Municipality.county.contains(normalise_text(query), autoescape=True))
    return statement.order_by(Municipality.name, Municipality.id)


def find_municipalities(query: str = "", province_ids=None) -> list[Municipality]:
    """Every municipality :func:`municipalities_query` finds."""
    rows = list(db.session.scalars(municipalities_query("", province_ids)))
    key = search_key(query)
    if not key:
        return rows
    return [m for m in rows
            if key in (m.name_key or search_key(m.name)) or key in search_key(m.county)]


def _check_profile(values: dict) -> dict:
    """The profile values checked against the same rules as the import."""
    checked = {}
    for key, value in values.items():
        column = importing.BY_KEY.get(key)
        if column is None or key not in importing.PROFILE_FIELDS:
            raise ServiceError(_("Unknown field %(field)s.", field=key), 422)
        try:
            checked[key] = importing.check_cell(column, value)
        except ValueError as error:
            raise ServiceError(f"{column.label}: {error}", 422) from None
    if "grade" in checked and checked["grade"] is None:
        raise ServiceError(_("The grade is required (1 to 12)."), 422)
    if "county" in checked and checked["county"] is None:
        checked["county"] = ""
    return checked


def update_municipality(municipality: Municipality, values: dict, *, actor=None,
                        source: str = "form") -> dict:
    """Change a municipality's profile (county, grade, population, census year, budget,
    staff, area); returns and audits the changes (field → [old, new]).

    Evaluations already planned keep their tier snapshot: an admin re-tiers them with a
    reason (:func:`retier`).
    """
    checked = _check_profile(values)
    changes = {key: [getattr(municipality, key), value] for key, value in checked.items()
               if getattr(municipality, key) != value}
    if not changes:
        return {}
    for key, (_old, new) in changes.items():
        setattr(municipality, key, new)
    db.session.flush()
    audit.record("municipality.update", "municipality", municipality.id, user=actor,
                 municipality_id=municipality.id, name=municipality.name, source=source,
                 old={k: v[0] for k, v in changes.items()},
                 new={k: v[1] for k, v in changes.items()})
    return changes


def import_municipalities(filename: str, data: bytes, province_name: str, *, actor=None,
                          dry_run: bool = False,
                          max_bytes: int = importing.MAX_BYTES) -> importing.ImportPlan:
    """Check a CSV/XLSX file of municipality profiles and, unless `dry_run` or any row has a
    problem, create the new municipalities and update the changed ones (every change audited).

    All or nothing: with any problem nothing is written and the plan lists every problem.
    The province is created when it does not exist yet (a fresh installation).
    """
    province_name = normalise_text(province_name)
    if not province_name or len(province_name) > 100:
        raise ServiceError(_("Choose the province to import into."), 422)
    province = find_province(province_name)
    existing = list(province.municipalities) if province is not None else []
    plan = importing.plan_import(filename, data, province.name if province else province_name,
                                 existing, max_bytes=max_bytes)
    if dry_run or not plan.ok:
        return plan
    if province is None:
        province = Province(name=province_name)
        db.session.add(province)
        db.session.flush()
        audit.record("province.create", "province", province.id, user=actor, name=province_name)
    by_id = {m.id: m for m in existing}
    for row in plan.rows:
        if row.status == "new":
            profile = {k: v for k, v in row.values.items() if k in importing.PROFILE_FIELDS}
            municipality = Municipality(province=province, name=row.name,
                                        name_key=search_key(row.name),
                                        **{"county": "", **profile})
            db.session.add(municipality)
            db.session.flush()
            row.municipality_id = municipality.id
            audit.record("municipality.create", "municipality", municipality.id, user=actor,
                         municipality_id=municipality.id, name=row.name, source="import",
                         file=filename, row=row.row, new=profile)
        elif row.status == "changed":
            municipality = by_id[row.municipality_id]
            for key, (_old, new) in row.changes.items():
                setattr(municipality, key, new)
            db.session.flush()
            audit.record("municipality.update", "municipality", municipality.id, user=actor,
                         municipality_id=municipality.id, name=municipality.name,
                         source="import", file=filename, row=row.row,
                         old={k: v[0] for k, v in row.changes.items()},
                         new={k: v[1] for k, v in row.changes.items()})
    audit.record("municipality.import", "province", province.id, user=actor, file=filename,
                 new_rows=plan.count("new"), changed_rows=plan.count("changed"),
                 unchanged_rows=plan.count("unchanged"))
    plan.applied = True
    return plan


