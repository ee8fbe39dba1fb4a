"""What each kind of object looks like in the API's JSON: plain dicts built from the stored
rows (scores are those ``evaluations.services.rescore`` stored; nothing is re-scored here),
the workflow's state and title (``app.workflow``), and answers read through their criterion
type (``criterion.kind``), never by the type's name."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from app import workflow
from app.api.paging import timestamp
from app.authoring.services import rubric_of
from app.extensions import db
from app.models import RubricVersion, UnitResult
from app.rubric.values import AnswerValue


class Rubrics:
    """The pinned rubric versions of a page's evaluations, each parsed once."""

    def __init__(self):
        self._versions: dict = {}
        #: state id → its title, over one page
        self.titles: dict[str, str] = {}

    def version(self, version_id: int) -> RubricVersion | None:
        if version_id not in self._versions:
            self._versions[version_id] = db.session.get(RubricVersion, version_id)
        return self._versions[version_id]

    def rubric(self, version_id: int):
        version = self.version(version_id)
        return rubric_of(version) if version is not None else None

    def units(self, version_id: int) -> dict[str, tuple[int, str]]:
        """Unit id → (its place in the rubric, its title)."""
        key = ("units", version_id)
        if key not in self._versions:
            rubric = self.rubric(version_id)
            self._versions[key] = ({unit.id: (index, unit.title)
                                    for index, unit in enumerate(rubric.units)}
                                   if rubric else {})
        return self._versions[key]


def state(evaluation, titles: dict | None = None) -> dict:
    """The workflow's state and its title (in the request's language); `titles` remembers
    the titles over a page."""
    state_id = workflow.state_of(evaluation)
    if titles is None:
        titles = {}
    if state_id not in titles:
        titles[state_id] = workflow.title(state_id)
    return {"status": state_id, "status_title": titles[state_id]}


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def units_of(evaluation_ids: Iterable[int]) -> dict[int, list]:
    """Evaluation id → its stored unit results (plain rows: a page holds over a thousand)."""
    found: dict[int, list] = {}
    ids = list(evaluation_ids)
    columns = (UnitResult.evaluation_id, UnitResult.unit_id, UnitResult.score,
               UnitResult.raw_score, UnitResult.band, UnitResult.evaluated, UnitResult.weight)
    for start in range(0, len(ids), 500):
        for row in db.session.execute(select(*columns).where(
                UnitResult.evaluation_id.in_(ids[start:start + 500]))
                .order_by(UnitResult.evaluation_id, UnitResult.id)):
            found.setdefault(row.evaluation_id, []).append(row)
    return found


def evaluation(e, rubrics: Rubrics, units: list) -> dict:
    rubric = rubrics.rubric(e.rubric_version_id)
    version = rubrics.version(e.rubric_version_id)
    tier = rubric.tier(e.tier_id) if rubric else None
    known = rubrics.units(e.rubric_version_id)
    town = e.municipality
    return {
        "id": e.id,
        "municipality": {"id": town.id, "name": town.name, "province_id": town.province_id,
                         "province": town.province.name},
        "cycle": e.cycle.year,
        **state(e, rubrics.titles),
        "rubric": {"id": version.rubric_id if version else None,
                   "version": version.version_label if version else None,
                   "sha256": version.sha256 if version else None},
        "tier": {"id": e.tier_id, "title": tier.title if tier and tier.title else e.tier_id},
        "scores": {"adjusted": _round(e.score), "raw": _round(e.raw_score),
                   "ungated_adjusted": _round(e.ungated_score),
                   "ungated_raw": _round(e.raw_ungated_score)},
        "band": e.band,
        "raw_band": e.raw_band,
        "gates": [{"id": str(g.get("id")), "met": bool(g.get("met")),
                   "raw_met": bool(g.get("raw_met"))} for g in (e.gates or [])],
        "complete": bool(e.complete),
        "answered": e.answered_count,
        "applicable": e.applicable_count,
        "report_number": e.report_number,
        "units": _units(units, known),
        "created_at": timestamp(e.created_at),
        "updated_at": timestamp(e.updated_at),
        "submitted_at": timestamp(e.submitted_at),
        "approved_at": timestamp(e.approved_at),
        "signed_at": timestamp(e.signed_at),
    }


def _units(rows: list, known: dict[str, tuple[int, str]]) -> list[dict]:
    """A page holds over a thousand of these: plain tuples, no per-field helpers."""
    out = []
    for _eid, unit_id, score, raw, band, evaluated, weight in sorted(
            rows, key=lambda u: (known.get(u[1], (10**6,))[0], u[1])):
        out.append({"id": unit_id, "title": known.get(unit_id, (0, unit_id))[1],
                    "score": score, "raw_score": raw, "band": band,
                    "evaluated": bool(evaluated), "weight": weight})
    return out


def _plain(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return str(value)


def answer(row, rubric, lang: str) -> dict:
    """One stored answer, read through its criterion's type: the typed value, computed
    inputs, ticked items or site samples, whichever the type keeps, and the type's words."""
    criterion = rubric.criterion(row.criterion_id) if rubric else None
    parts = (criterion.kind.from_storage(criterion, row.value, row.data)
             if criterion is not None and not row.na else {})
    value = AnswerValue(**parts)
    if criterion is None and not row.na:  # a criterion the pinned rubric no longer names
        value = AnswerValue(value=row.value)
    return {
        "id": row.id,
        "criterion": row.criterion_id,
        "unit": criterion.unit_id if criterion else None,
        "title": criterion.title if criterion else None,
        "type": criterion.kind.name if criterion else None,
        "na": bool(row.na),
        "na_reason": row.na_reason or "",
        "note": row.note or "",
        "value": _plain(value.value),
        "inputs": (None if value.inputs is None
                   else {str(k): _plain(v) for k, v in value.inputs.items()}),
        "items": None if value.items is None else [str(i) for i in value.items],
        "samples": (None if value.samples is None
                    else [{"site": s.site, "value": _plain(s.value)} for s in value.samples]),
        "text": (criterion.kind.short_text(criterion, value, lang)
                 if criterion is not None and not row.na and not value.empty else ""),
        "updated_at": timestamp(row.updated_at),
    }


def municipality(m, tiers: list[dict]) -> dict:
    return {
        "id": m.id, "name": m.name, "county": m.county, "province_id": m.province_id,
        "province": m.province.name, "grade": m.grade, "population": m.population,
        "census_year": m.census_year, "budget_million_rial": m.budget_million_rial,
        "staff_count": m.staff_count, "area_hectares": m.area_hectares,
        "updated_at": timestamp(m.updated_at),
        "tiers": tiers,
    }


def cycle(c) -> dict:
    return {"id": c.id, "year": c.year, "title": c.title, "visit_start": timestamp(c.visit_start),
            "visit_end": timestamp(c.visit_end), "is_open": bool(c.is_open),
            "declaration_deadline": timestamp(c.declaration_deadline)}


def recommendation(r, responses: list, follow_ups: list) -> dict:
    e = r.evaluation
    return {
        "id": r.id, "evaluation_id": r.evaluation_id, "municipality_id": e.municipality_id,
        "cycle": e.cycle.year, "unit": r.unit_id or None, "text": r.text,
        "responsible": r.responsible, "deadline": timestamp(r.deadline),
        "position": r.position,
        "responses": [{"id": x.id, "action_taken": x.action_taken, "progress": x.progress,
                       "evidence": x.evidence, "acted_on": timestamp(x.acted_on),
                       "created_at": timestamp(x.created_at)} for x in responses],
        "follow_ups": [{"evaluation_id": f.evaluation_id, "outcome": f.outcome, "note": f.note,
                        "updated_at": timestamp(f.updated_at)} for f in follow_ups],
    }


def ranking_row(row: dict, year: int, tier_title: str) -> dict:
    return {
        "evaluation_id": row["evaluation_id"], "cycle": year,
        "municipality": {"id": row["municipality_id"], "name": row["name"],
                         "province_id": row["province_id"], "province": row["province"]},
        "tier": {"id": row["tier_id"], "title": tier_title},
        "score": _round(row["score"]), "raw_score": _round(row["raw_score"]),
        "band": row["band"], "rank": row["rank"], "raw_rank": row["raw_rank"],
        "peers": row["peers"], "tier_average": _round(row["tier_average"]),
        "tier_raw_average": _round(row["tier_raw_average"]),
    }
