"""Plain-dict contexts for the print templates: no ORM object reaches a template.

A context holds only JSON types (dict, list, str, int, float, bool, None); dates are already
Jalali text. Scores stay numbers (the templates format them with the ``number`` filter); the
sentences that carry data are translated here with ``_()``. Inspector- and reviewer-typed text
is shortened to a limit with a visible marker; the templates escape it like any other text.

Call these inside ``settings.report_locale()`` (reports are official Persian documents).
The canonical JSON of an evaluation context is what the verification code of a final report
hashes (see ``services``), so nothing here may depend on the moment of rendering for a final.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import workflow
from app.evaluations.services import rubric_for, scorecard
from app.extensions import db
from app.i18n import (
    _,
    current_lang,
    digits,
    format_percent,
    format_quantity,
    format_score,
    jalali_date,
    list_separator,
    normalise_text,
)
from app.models import (
    Evaluation,
    EvaluationCycle,
    Evidence,
    Municipality,
    Recommendation,
)
from app.models._types import utcnow
from app.reports import charts
from app.rubric import Criterion, Rubric
from app.rubric.formula import say_profile

#: longest inspector note or N/A reason printed in a criteria table (characters)
NOTE_LIMIT = 1200
#: longest reviewer text (strengths, improvements) and recommendation
TEXT_LIMIT = 4000
RECOMMENDATION_LIMIT = 1500
NAME_LIMIT = 200
MAX_RECOMMENDATIONS = 60
#: opening words of a long note kept in the criteria table (the annex prints it in full)
NOTE_EXCERPT = 120
#: evidence thumbnails shown per criterion (the rest are counted)
PHOTOS_PER_CRITERION = 4
#: best and weakest criteria listed under strengths / areas for improvement
HIGHLIGHTS = 3
#: a criterion at or above this share of its points counts as a strength
STRONG_FRACTION = 0.75


def shorten(text: str | None, limit: int) -> str:
    """`text` normalised, cut at `limit` characters with a marker saying so."""
    text = normalise_text(text)
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + " … " + _("[shortened; the full text is in Arzyab]")


def _date(value: dt.date | dt.datetime | None, style: str = "numeric") -> str:
    return jalali_date(value, style=style) if value else ""


def signed(value: float | None) -> str:
    """A change such as «+۷٫۳» or «−۲» (empty for None)."""
    if value is None:
        return ""
    text = format_score(abs(value))
    if round(value, 1) > 0:
        return "+" + text
    if round(value, 1) < 0:
        return "−" + text
    return text


def _delta(now: float | None, before: float | None) -> float | None:
    if now is None or before is None:
        return None
    return round(now - before, 1)


def rubric_colours(rubric: Rubric) -> dict[str, str]:
    return charts.band_colours((band.min, band.label) for band in rubric.bands)


# --- shared pieces -----------------------------------------------------------------------------

def letterhead(province: str, *, number: str | None, date: dt.date | dt.datetime,
               attachments: str) -> dict:
    """«بسمه تعالی», the office, and شماره / تاریخ / پیوست."""
    config = current_app.config
    return {
        "invocation": _("In the name of God"),
        "state": _("Islamic Republic of Iran"),
        "ministry": _("Ministry of the Interior"),
        "authority": _("Governorate of %(province)s", province=province),
        "office": config["OFFICE_NAME"],
        "number": digits(number) if number else "",
        "date": _date(date),
        "attachments": attachments,
    }


def _people(evaluation: Evaluation, role: str) -> list[str]:
    return [shorten(user.display_name, NAME_LIMIT) for user in evaluation.users_in_role(role)]


# --- the evaluation report ---------------------------------------------------------------------

def evaluation_context(evaluation: Evaluation, *, today: dt.date | None = None) -> dict:
    """Everything the evaluation report prints, as plain data."""
    rubric = rubric_for(evaluation)
    card = scorecard(evaluation)
    tier = rubric.tier(evaluation.tier_id)
    colours = rubric_colours(rubric)
    municipality, cycle = evaluation.municipality, evaluation.cycle
    province = municipality.province.name
    final = workflow.is_final(evaluation)
    # a final is dated the day it was signed off; a draft the day it is printed (Tehran time)
    issued = evaluation.signed_at if final and evaluation.signed_at else (today or utcnow())
    photos = _photos(evaluation)
    photo_count = sum(len(items) for items in photos.values())
    answers = {answer.criterion_id: answer for answer in evaluation.answers}

    units = [_unit(unit, card, answers, photos, colours, evaluation.tier_id)
             for unit in rubric.units if unit.applies(evaluation.tier_id)]
    annex = _move_long_notes(units, answers)
    title = _("Performance evaluation report of the units of the municipality of %(name)s"
              " — year %(year)s", name=municipality.name, year=digits(cycle.year))
    attachments = _("%(n)s photos", n=digits(photo_count)) if photo_count else _("no attachment")
    return {
        "kind": "evaluation",
        "evaluation_id": evaluation.id,
        "final": final,
        "status": workflow.state_of(evaluation),
        "status_title": workflow.title(workflow.state_of(evaluation)),
        "title": title,
        "issued_on": _date(issued, "long"),
        "letterhead": letterhead(province, number=evaluation.report_number, date=issued,
                                 attachments=attachments),
        "method": _method(evaluation, rubric, card),
        "profile": _profile(evaluation, tier, province),
        "summary": _summary(evaluation, card, rubric, tier, colours, units),
        "chart": charts.bar_chart(
            [charts.bar(u["title"], u["score"], u["raw"], u["band"], colours,
                        note="" if u["evaluated"] else _("not evaluated")) for u in units],
            colours),
        "units": units,
        "gates": _gates(card, rubric),
        "highlights": _highlights(card, rubric, evaluation),
        "recommendations": _recommendations(evaluation, rubric),
        "declarations": _declarations(evaluation),
        "follow_up": _follow_up(evaluation),
        "signatures": _signatures(evaluation, final),
        "copies": _copies(municipality, province),
        "annex": annex,
    }


def _move_long_notes(units: list[dict], answers: dict) -> list[dict]:
    """Notes longer than REPORT_NOTE_INLINE_CHARS: the criteria table keeps their opening
    words and a reference, the annex at the end of the report prints them in full (up to
    NOTE_MAX_CHARS, the longest a note can be saved). Long text inside table cells is what
    made heavy reports slow and long; plain paragraphs lay out several times faster."""
    config = current_app.config
    inline, longest = config["REPORT_NOTE_INLINE_CHARS"], config["NOTE_MAX_CHARS"]
    annex = []
    for unit in units:
        for row in unit["criteria"]:
            answer = answers.get(row["id"])
            full = normalise_text(answer.note) if answer is not None else ""
            if len(full) <= inline:
                continue
            number = len(annex) + 1
            size = min(inline, NOTE_EXCERPT)
            cut = full[:size]
            cut = cut[:cut.rfind(" ")] if " " in cut[size // 2:] else cut
            row["note"] = cut.rstrip() + " … " + _(
                "(the full note is note %(n)s of the annex)", n=digits(number))
            annex.append({"number": number, "id": row["id"], "title": row["title"],
                          "unit": unit["title"], "text": shorten(full, longest)})
    return annex


def _method(evaluation: Evaluation, rubric: Rubric, card) -> dict:
    cycle = evaluation.cycle
    reference = rubric.tier(rubric.reference_tier)
    return {
        "rubric_title": rubric.title,
        "rubric_version": digits(rubric.version),
        "rubric_sha": evaluation.rubric_version.sha256[:12],
        "cycle_title": cycle.title,
        "visit_window": [_date(cycle.visit_start), _date(cycle.visit_end)],
        "visit_dates": digits(shorten(evaluation.visit_dates, NAME_LIMIT)),
        "visit_date": _date(evaluation.visit_date, "long"),
        "inspectors": _people(evaluation, "inspector"),
        "reviewers": _people(evaluation, "reviewer"),
        "answered": card.answered,
        "applicable": card.applicable,
        "na_count": sum(1 for c in card.criteria if c.applicable and c.na),
        "reference_tier": (reference.title or reference.id) if reference else "",
    }


def _profile(evaluation: Evaluation, tier, province: str) -> dict:
    """The municipality as it was when the evaluation was created (the tier's basis)."""
    basis = evaluation.tier_basis or {}
    municipality = evaluation.municipality
    return {
        "name": municipality.name,
        "county": municipality.county,
        "province": province,
        "grade": basis.get("grade", municipality.grade),
        "population": basis.get("population", municipality.population),
        "census_year": basis.get("census_year", municipality.census_year),
        "budget_million_rial": basis.get("budget_million_rial"),
        "staff_count": basis.get("staff_count"),
        "tier_id": evaluation.tier_id,
        "tier_title": (tier.title if tier else "") or evaluation.tier_id,
        "tier_description": tier.description if tier else "",
    }


def _summary(evaluation: Evaluation, card, rubric: Rubric, tier, colours, units) -> dict:
    name = evaluation.municipality.name
    tier_title = (tier.title if tier else "") or evaluation.tier_id
    if card.score is not None:
        statement = _(
            "Given the facilities available in the province's towns of the same tier, "
            "«%(tier)s», the performance of the municipality of %(name)s was judged "
            "«%(band)s», with an adjusted score of %(score)s out of 100 (raw score %(raw)s).",
            tier=tier_title, name=name, band=card.band, score=format_score(card.score),
            raw=format_score(card.raw))
    else:
        statement = _("Too few criteria were answered to judge the performance of the "
                      "municipality of %(name)s.", name=name)
    return {
        "score": card.score, "raw": card.raw, "band": card.band or "",
        "raw_band": card.raw_band or "", "colour": colours.get(card.band or "", "#d5d9de"),
        "statement": statement,
        "complete": card.complete,
        "units_evaluated": sum(1 for u in units if u["evaluated"]),
        "units_total": len(units),
        "rank": _rank(evaluation, card.score, tier_title),
        "change": _change(evaluation, card),
    }


def _rank(evaluation: Evaluation, score: float | None, tier_title: str) -> dict | None:
    """Place among the province's finals of the same tier in the cycle."""
    if score is None:
        return None
    rows = db.session.execute(
        select(Evaluation.id, Evaluation.score).join(Municipality).where(
            Evaluation.cycle_id == evaluation.cycle_id,
            Municipality.province_id == evaluation.municipality.province_id,
            Evaluation.tier_id == evaluation.tier_id,
            workflow.final_condition(Evaluation),
            Evaluation.score.is_not(None))).all()
    scores = {row.id: row.score for row in rows}
    scores[evaluation.id] = score
    position = 1 + sum(1 for other in scores.values() if other > score)
    return {"position": position, "of": len(scores), "tier": tier_title}


def previous_evaluation(evaluation: Evaluation) -> Evaluation | None:
    """The same municipality's latest final of an earlier cycle."""
    return db.session.scalar(
        select(Evaluation).join(EvaluationCycle).where(
            Evaluation.municipality_id == evaluation.municipality_id,
            EvaluationCycle.year < evaluation.cycle.year,
            workflow.final_condition(Evaluation))
        .order_by(EvaluationCycle.year.desc()).limit(1))


def _change(evaluation: Evaluation, card) -> dict | None:
    before = previous_evaluation(evaluation)
    if before is None or before.score is None:
        return None
    delta, raw_delta = _delta(card.score, before.score), _delta(card.raw, before.raw_score)
    return {"year": before.cycle.year, "score": before.score, "raw": before.raw_score,
            "band": before.band or "", "delta": delta, "raw_delta": raw_delta,
            "delta_text": signed(delta), "raw_delta_text": signed(raw_delta),
            "same_rubric": before.rubric_version_id == evaluation.rubric_version_id,
            "same_tier": before.tier_id == evaluation.tier_id}


def evidence_files(evaluation: Evaluation) -> dict[str, str]:
    """"evidence/<id>" → thumbnail path, for the renderer's fetch policy (this evaluation only)."""
    from app.evidence.services import photo_path

    return {f"evidence/{e.id}": str(photo_path(e, thumb=True))
            for e in _evidence_rows(evaluation)}


def _evidence_rows(evaluation: Evaluation) -> list[Evidence]:
    return list(db.session.scalars(select(Evidence).where(
        Evidence.evaluation_id == evaluation.id).order_by(Evidence.id)))


def _photos(evaluation: Evaluation) -> dict[str, list[dict]]:
    photos: dict[str, list[dict]] = defaultdict(list)
    for evidence in _evidence_rows(evaluation):
        photos[evidence.criterion_id].append({
            "url": f"arzyab:evidence/{evidence.id}",
            "caption": shorten(evidence.original_name, 60)})
    return photos


def _unit(unit, card, answers, photos, colours, tier_id: str) -> dict:
    score = card.unit(unit.id)
    rows = [_criterion(criterion, card.criterion(criterion.id), answers.get(criterion.id),
                       photos.get(criterion.id, []), tier_id)
            for criterion in unit.criteria if criterion.applies(tier_id)]
    if score.evaluated:
        status = ""
    elif score.reason == "na_limit":
        status = _("Not evaluated: criteria marked not applicable carry more than the "
                   "rubric's limit of the unit's weight.")
    else:
        status = _("Not evaluated: no criterion of this unit was answered.")
    return {
        "id": unit.id, "title": unit.title, "weight": score.weight,
        "evaluated": score.evaluated, "score": score.score, "raw": score.raw,
        "band": score.band or "", "colour": colours.get(score.band or "", charts.NONE_COLOUR),
        "status": status,
        "criteria": rows,
        "na_items": [{"id": row["id"], "title": row["title"], "reason": row["na_reason"]}
                     for row in rows if row["na"]],
        "max_points": sum(row["max_points"] or 0 for row in rows if not row["na"]),
        "points": sum(row["points"] or 0 for row in rows),
    }


def _criterion(criterion: Criterion, scored, answer, photos: list[dict], tier_id: str) -> dict:
    na = bool(scored and scored.na)
    kind, lang = criterion.kind, current_lang()
    answered = bool(scored and scored.answered)
    return {
        "id": criterion.id, "title": criterion.title, "type": criterion.type,
        "target": kind.target_text(criterion, tier_id, lang) or "—",
        "steps": [row["when"] + ": " + row["share"]
                  for row in kind.bracket_rows(criterion, tier_id, lang)]
        if criterion.brackets is not None else [],
        "value": _("Not applicable") if na else kind.result_text(criterion, scored, lang),
        "details": _details(criterion, scored, lang) if answered else [],
        "samples": [{"site": shorten(row["site"], 80),
                     "value": kind.say_value(criterion, row["value"], lang)}
                    for row in scored.details.get("samples", ())] if answered else [],
        "answered": answered, "na": na,
        "na_reason": shorten(scored.na_reason, NOTE_LIMIT) if na else "",
        "max_points": scored.max_points if scored else None,
        "points": scored.points if scored else None,
        "fraction": scored.fraction if scored else None,
        "documents": criterion.evidence,
        "photos": photos[:PHOTOS_PER_CRITERION],
        "more_photos": max(0, len(photos) - PHOTOS_PER_CRITERION),
        "note": shorten(answer.note, NOTE_LIMIT) if answer is not None else "",
    }


def _details(criterion: Criterion, scored, lang: str) -> list[str]:
    """What the value was computed from, or which items were ticked, as printed lines."""
    details = scored.details
    lines = []
    if "inputs" in details:
        for item in criterion.inputs:
            value = format_quantity(details["inputs"].get(item.name), lang)
            lines.append(f"{item.title}: {value} {item.unit_label}".strip())
        lines += [say_profile(name, details["profile"].get(name), lang)
                  for name in criterion.formula.profile_names()]
    if "ticked_points" in details:
        ticked = criterion.kind.short_text(criterion, SimpleNamespace(items=scored.value), lang)
        if ticked:
            lines.append(ticked)
    return lines


def _gates(card, rubric: Rubric) -> dict | None:
    """The verdict rules (قواعد داوری): each gate, met or not, and what it did."""
    if not card.gates:
        return None
    rows = []
    for gate, result in zip(rubric.gates, card.gates, strict=True):
        if gate.cap is not None:
            effect = _("the overall score is capped at %(cap)s", cap=format_score(gate.cap))
        else:
            effect = _("the overall score is multiplied by %(factor)s",
                       factor=format_quantity(gate.factor, current_lang()))
        rows.append({"id": gate.id, "title": gate.title or gate.id, "met": result.met,
                     "rule": _gate_rule(gate, rubric), "effect": effect})
    return {"rows": rows, "ungated": card.ungated, "score": card.score, "gated": card.gated}


def _gate_rule(gate, rubric: Rubric) -> str:
    sep = list_separator()
    if gate.units is not None:
        names = sep.join(rubric.unit(uid).title for uid in gate.units)
        if gate.count is not None:
            return _("at least %(count)s of these units score %(min)s or more: %(names)s",
                     count=digits(gate.count), min=format_score(gate.min), names=names)
        return _("every one of these units scores %(min)s or more: %(names)s",
                 min=format_score(gate.min), names=names)
    names = sep.join(f"{digits(cid)} {rubric.criterion(cid).title}" for cid in gate.criteria)
    share = format_percent(gate.min * 100)
    if gate.count is not None:
        return _("at least %(count)s of these criteria earn %(share)s of their points: "
                 "%(names)s", count=digits(gate.count), share=share, names=names)
    return _("each of these criteria earns %(share)s of its points: %(names)s",
             share=share, names=names)


def _highlights(card, rubric: Rubric, evaluation: Evaluation) -> dict:
    order = {criterion.id: index for index, criterion in enumerate(rubric.criteria())}
    scored = [c for c in card.criteria if c.applicable and c.answered and c.fraction is not None]

    def item(c) -> dict:
        criterion, unit = rubric.criterion(c.id), rubric.unit(c.unit_id)
        return {"id": c.id, "title": criterion.title, "unit": unit.title,
                "achieved": round(100 * c.fraction), "points": c.points,
                "max_points": c.max_points}

    best = sorted(scored, key=lambda c: (-c.fraction, -(c.max_points or 0), order[c.id]))
    weakest = sorted(scored, key=lambda c: (c.fraction, -(c.max_points or 0), order[c.id]))
    return {
        "best": [item(c) for c in best if c.fraction >= STRONG_FRACTION][:HIGHLIGHTS],
        "weakest": [item(c) for c in weakest if c.fraction < STRONG_FRACTION][:HIGHLIGHTS],
        "strengths_text": shorten(evaluation.strengths_text, TEXT_LIMIT),
        "improvements_text": shorten(evaluation.improvements_text, TEXT_LIMIT),
    }


def _recommendations(evaluation: Evaluation, rubric: Rubric) -> list[dict]:
    rows = db.session.scalars(
        select(Recommendation).where(Recommendation.evaluation_id == evaluation.id)
        .order_by(Recommendation.position, Recommendation.id).limit(MAX_RECOMMENDATIONS))
    items = []
    for row in rows:
        unit = rubric.unit(row.unit_id) if row.unit_id else None
        items.append({"text": shorten(row.text, RECOMMENDATION_LIMIT),
                      "responsible": shorten(row.responsible, NAME_LIMIT),
                      "deadline": _date(row.deadline),
                      "unit": unit.title if unit else ""})
    return items


def _declarations(evaluation: Evaluation) -> dict | None:
    """The municipality's self-declaration beside the inspectors' verified values, and the
    share confirmed; None when the rubric has the municipality declare nothing here."""
    from app.declarations import services as declarations

    rows = declarations.rows(evaluation, current_lang())
    if not rows:
        return None
    summary = declarations.summary(evaluation)
    verdicts = {declarations.CONFIRMED: _("Confirmed"), declarations.CORRECTED: _("Corrected"),
                declarations.PENDING: _("Not verified"),
                declarations.MISSING: _("Not declared")}
    items = [{"id": row.criterion.id, "title": row.criterion.title,
              "declared": shorten(row.declared_text, NAME_LIMIT) or "—",
              "verified": shorten(row.verified_text, NAME_LIMIT) or "—",
              "verdict": row.verdict, "verdict_title": verdicts[row.verdict],
              "reason": shorten(row.declaration.correction_reason
                                if row.declaration is not None
                                and row.verdict == declarations.CORRECTED else "", NOTE_LIMIT)}
             for row in rows]
    share = (_("%(share)s%% confirmed", share=format_score(summary["share"]))
             if summary["share"] is not None else "")
    return {"rows": items, "criteria": summary["criteria"], "declared": summary["declared"],
            "verified": summary["verified"], "confirmed": summary["confirmed"],
            "corrected": summary["corrected"], "share": summary["share"],
            "share_text": share,
            "counts": _("%(confirmed)s of %(verified)s verified values",
                        confirmed=digits(summary["confirmed"]),
                        verified=digits(summary["verified"]))}


def _follow_up(evaluation: Evaluation) -> dict | None:
    """«پیگیری توصیه‌های دوره پیشین»: the previous final's recommendations, the municipality's
    latest answer on each and this evaluation's inspectors' finding; None without an earlier
    final."""
    from app.recommendations import services as recommendations

    carried = recommendations.carried_over(evaluation)
    before = carried["previous"]
    if before is None or not carried["items"]:
        return None
    items = []
    for item in carried["items"][:MAX_RECOMMENDATIONS]:
        recommendation, response, finding = (item["recommendation"], item["response"],
                                             item["finding"])
        items.append({
            "text": shorten(recommendation.text, RECOMMENDATION_LIMIT), "unit": item["unit"],
            "responsible": shorten(recommendation.responsible, NAME_LIMIT),
            "deadline": _date(recommendation.deadline),
            "answer": shorten(response.action_taken, NOTE_LIMIT) if response else "",
            "progress": digits(response.progress) if response else "",
            "acted_on": _date(response.acted_on) if response and response.acted_on else "",
            "outcome": item["outcome"] or "", "outcome_title": item["outcome_title"]
            or _("Not followed up yet"),
            "note": shorten(finding.note, NOTE_LIMIT) if finding else "",
            "overdue": item["overdue"]})
    done = sum(1 for i in items if i["outcome"] == "done")
    return {"year": digits(before.cycle.year), "number": before.report_number or "",
            "rows": items,
            "done": _("%(n)s of %(total)s carried out", n=digits(done),
                      total=digits(len(items)))}


def _signatures(evaluation: Evaluation, final: bool) -> list[dict]:
    """Inspectors, the reviewer who approved the content, and the director-general who
    signed it off (names only on a final; blank lines to sign on a draft)."""
    signatures = [{"role": _("Inspector"), "name": name}
                  for name in _people(evaluation, "inspector")]
    approver = evaluation.approved_by if final else None
    if approver is not None:
        signatures.append({"role": _("Content approved by the reviewer"),
                           "name": shorten(approver.display_name, NAME_LIMIT)})
    else:
        signatures += [{"role": _("Reviewer"), "name": name}
                       for name in _people(evaluation, "reviewer")]
    signer = evaluation.signed_by if final else None
    signatures.append({"role": _("Approved by the Director-General of Urban Affairs"),
                       "name": shorten(signer.display_name, NAME_LIMIT) if signer else ""})
    return signatures


def _copies(municipality: Municipality, province: str) -> list[str]:
    configured = current_app.config.get("REPORT_COPIES")
    if configured:
        return [shorten(str(line), NAME_LIMIT) for line in configured]
    copies = [
        _("Municipality of %(name)s, for information and to carry out the recommendations",
          name=municipality.name),
        _("Islamic City Council of %(name)s, for information", name=municipality.name),
    ]
    if municipality.county:
        copies.append(_("Governorate of %(county)s county, for information and follow-up",
                        county=municipality.county))
    copies.append(_("Deputy for Civil Affairs Coordination, Governorate of %(province)s, "
                    "for information", province=province))
    return copies


# --- the province comparison -------------------------------------------------------------------

def comparison_context(cycle: EvaluationCycle, province, *, today: dt.date | None = None
                       ) -> dict:
    """Ranking within each tier, municipality × unit scores, change since the previous cycle.

    Only finals (signed off) are compared; the others are listed as pending.
    """
    evaluations = list(db.session.scalars(
        select(Evaluation).join(Municipality).where(
            Evaluation.cycle_id == cycle.id, Municipality.province_id == province.id)
        .options(selectinload(Evaluation.municipality), selectinload(Evaluation.unit_results))
        .order_by(Municipality.name)))
    approved = [e for e in evaluations if workflow.is_final(e)]
    pending = [{"name": e.municipality.name, "status": workflow.title(e.state)}
               for e in evaluations if not workflow.is_final(e)]
    evaluated_towns = {e.municipality_id for e in evaluations}
    missing = [m.name for m in province.municipalities if m.id not in evaluated_towns]

    # the newest rubric version in use gives the tiers' order and the unit columns
    rubrics = {e.rubric_version_id: rubric_for(e) for e in approved}
    main = rubrics[max(rubrics)] if rubrics else None
    colours = {version: rubric_colours(rubric) for version, rubric in rubrics.items()}
    tier_order = [t.id for t in main.tiers] if main else []
    units = [{"id": u.id, "title": u.title} for u in main.units] if main else []

    by_tier: dict[str, list[Evaluation]] = defaultdict(list)
    for evaluation in approved:
        by_tier[evaluation.tier_id].append(evaluation)
    tiers = []
    for tier_id in sorted(by_tier, key=lambda t: (tier_order.index(t) if t in tier_order
                                                   else len(tier_order), t)):
        tier = main.tier(tier_id) if main else None
        rows = _tier_rows(by_tier[tier_id], colours)
        tiers.append({
            "id": tier_id, "title": (tier.title if tier else "") or tier_id,
            "description": tier.description if tier else "",
            "rows": rows,
            "chart": charts.bar_chart(
                [charts.bar(r["name"], r["score"], r["raw"], r["band"],
                            colours[r["rubric_version_id"]]) for r in rows],
                colours[rows[0]["rubric_version_id"]]),
        })

    matrix = []
    for tier in tiers:
        for row in tier["rows"]:
            evaluation = next(e for e in approved if e.id == row["evaluation_id"])
            results = {r.unit_id: r for r in evaluation.unit_results}
            cells = []
            for unit in units:
                result = results.get(unit["id"])
                if result is None or not result.evaluated:
                    cells.append({"score": None, "band": "", "tint": ""})
                    continue
                colour = colours[evaluation.rubric_version_id].get(result.band or "",
                                                                     charts.NONE_COLOUR)
                cells.append({"score": result.score, "band": result.band or "",
                              "tint": charts.tint(colour)})
            matrix.append({"name": row["name"], "tier": tier["title"], "score": row["score"],
                           "cells": cells})

    legend = [{"band": band, "colour": colour, "tint": charts.tint(colour)}
              for band, colour in (rubric_colours(main).items() if main else [])]
    title = _("Comparison of the municipalities of %(province)s province — year %(year)s",
              province=province.name, year=digits(cycle.year))
    return {
        "kind": "comparison",
        "final": True,
        "title": title,
        "issued_on": _date(today or utcnow(), "long"),
        "year": cycle.year,
        "province": province.name,
        "cycle_open": bool(cycle.is_open),
        "letterhead": letterhead(province.name, number=None, date=today or utcnow(),
                                 attachments=_("no attachment")),
        "tiers": tiers,
        "units": units,
        "matrix": matrix,
        "legend": legend,
        "pending": pending,
        "missing": missing,
        "approved_count": len(approved),
    }


def _tier_rows(evaluations: list[Evaluation], colours: dict) -> list[dict]:
    scores = [e.score for e in evaluations if e.score is not None]
    raws = [e.raw_score for e in evaluations if e.raw_score is not None]

    def rank(value, values):
        return None if value is None else 1 + sum(1 for other in values if other > value)

    rows = []
    for evaluation in evaluations:
        before = previous_evaluation(evaluation)
        delta = _delta(evaluation.score, before.score) if before else None
        colour = colours[evaluation.rubric_version_id].get(evaluation.band or "",
                                                           charts.NONE_COLOUR)
        basis = evaluation.tier_basis or {}
        rows.append({
            "evaluation_id": evaluation.id,
            "rubric_version_id": evaluation.rubric_version_id,
            "name": evaluation.municipality.name,
            "grade": basis.get("grade"), "population": basis.get("population"),
            "score": evaluation.score, "raw": evaluation.raw_score,
            "band": evaluation.band or "", "colour": colour, "tint": charts.tint(colour),
            "rank": rank(evaluation.score, scores), "raw_rank": rank(evaluation.raw_score, raws),
            "previous": before.score if before else None,
            "previous_year": before.cycle.year if before else None,
            "delta": delta, "delta_text": signed(delta),
            "report_number": digits(evaluation.report_number or ""),
        })
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["name"]))
    return rows

