"""One municipality across cycles, from its stored scores: the trend (overall and per unit),
the units that improved or fell most since the previous cycle, and whether the last report's
recommendations show as addressed in the next evaluation.

Plain functions over the rows ``queries`` returns (dicts); the sentences are translated here.
"""

from __future__ import annotations

import datetime as dt

from app import workflow
from app.dashboard.presentation import digits, heat, lang, web_chart
from app.dashboard.queries import Legend, UnitFigures
from app.i18n import _, format_score
from app.reports import charts

#: units listed under "improved most" and "fell most"
MOVERS = 3
#: a unit whose score rose by at least this many points shows a recommendation addressed;
#: a smaller rise shows it partly addressed at best
ADDRESSED_GAIN = 5.0


def _number(value: float | None) -> str:
    return format_score(value, lang())


def _unit_titles(legend: Legend, units_by_evaluation: dict[int, dict]) -> list[tuple[str, str]]:
    """The units in the rubric's order, then any unit an older rubric version had."""
    titles = list(legend.units)
    known = {unit_id for unit_id, _title in titles}
    for units in units_by_evaluation.values():
        for unit_id in units:
            if unit_id not in known:
                titles.append((unit_id, unit_id))
                known.add(unit_id)
    return titles


def scored(history: list[dict]) -> list[dict]:
    return [h for h in history if h["score"] is not None]


def latest_pair(history: list[dict]) -> tuple[dict | None, dict | None]:
    """The latest scored evaluation and the scored one before it (None when missing)."""
    rows = scored(history)
    if not rows:
        return None, None
    return rows[-1], (rows[-2] if len(rows) > 1 else None)


def trend(history: list[dict], units_by_evaluation: dict[int, dict], legend: Legend) -> dict:
    """The overall scores as a bar chart (one bar pair per cycle) and a unit × cycle table
    tinted by band, with each unit's change between the last two scored cycles."""
    colours = legend.colours
    chart = charts.bar_chart(
        [charts.bar(digits(h["year"]), h["score"], h["raw_score"], h["band"], colours,
                    note=_("not scored yet")) for h in history], colours)
    latest, before = latest_pair(history)
    rows = []
    for unit_id, title in _unit_titles(legend, units_by_evaluation):
        cells = []
        for h in history:
            unit = units_by_evaluation.get(h["evaluation_id"], {}).get(unit_id)
            cells.append(heat(unit.score if unit else None, unit.band if unit else None,
                              colours))
        change = None
        if latest is not None and before is not None:
            now = units_by_evaluation.get(latest["evaluation_id"], {}).get(unit_id)
            then = units_by_evaluation.get(before["evaluation_id"], {}).get(unit_id)
            if now and then:
                change = round(now.score - then.score, 1)
        rows.append({"unit_id": unit_id, "title": title, "cells": cells, "change": change})
    return {"chart": web_chart(chart), "years": [h["year"] for h in history], "units": rows}


def movers(history: list[dict], units_by_evaluation: dict[int, dict], legend: Legend,
           limit: int = MOVERS) -> dict | None:
    """The units that improved and fell most between the latest scored evaluation and the
    scored one of the cycle before it; None when there is nothing to compare."""
    latest, before = latest_pair(history)
    if latest is None or before is None:
        return None
    now = units_by_evaluation.get(latest["evaluation_id"], {})
    then = units_by_evaluation.get(before["evaluation_id"], {})
    changes = []
    for unit_id, title in _unit_titles(legend, units_by_evaluation):
        a, b = then.get(unit_id), now.get(unit_id)
        if a and b:
            changes.append({"unit_id": unit_id, "title": title, "before": a.score,
                            "after": b.score, "change": round(b.score - a.score, 1),
                            "band": b.band})
    improved = sorted((c for c in changes if c["change"] > 0),
                      key=lambda c: (-c["change"], c["title"]))[:limit]
    fell = sorted((c for c in changes if c["change"] < 0),
                  key=lambda c: (c["change"], c["title"]))[:limit]
    return {"latest": latest, "before": before, "improved": improved, "fell": fell,
            "compared": len(changes),
            "same_rubric": latest["rubric_version_id"] == before["rubric_version_id"],
            "same_tier": latest["tier_id"] == before["tier_id"]}


def last_report(history: list[dict]) -> dict | None:
    """The latest final (signed off) in the history."""
    finals = [h for h in history if workflow.is_final_state(h["status"])]
    return finals[-1] if finals else None


def next_evaluation(history: list[dict], report: dict) -> dict | None:
    """The first scored evaluation of a cycle after the report's."""
    later = [h for h in scored(history) if h["year"] > report["year"]]
    return later[0] if later else None


def follow_up(recommendations: list[dict], report: dict, following: dict | None,
              units_by_evaluation: dict[int, dict], legend: Legend,
              today: dt.date) -> list[dict]:
    """Each recommendation of the report with a judgement, in words, of whether the next
    evaluation shows it addressed: the unit's score then against its score at the report."""
    titles = dict(_unit_titles(legend, units_by_evaluation))
    at_report = units_by_evaluation.get(report["evaluation_id"], {})
    later = units_by_evaluation.get(following["evaluation_id"], {}) if following else {}
    items = []
    for rec in recommendations:
        unit_id = rec["unit_id"] or ""
        state, words = _judge(unit_id, titles.get(unit_id, unit_id), at_report.get(unit_id),
                              later.get(unit_id), following)
        if following is not None and not workflow.is_final_state(following["status"]) \
                and state not in ("open", "no_unit"):
            words += " " + _("(The %(year)s evaluation is not signed off yet.)",
                             year=digits(following["year"]))
        deadline = rec["deadline"]
        items.append({**rec, "unit_title": titles.get(unit_id, unit_id) if unit_id else "",
                      "state": state, "words": words,
                      "overdue": bool(deadline and deadline < today
                                      and state in ("open", "partly", "not_addressed"))})
    return items


def _judge(unit_id: str, title: str, then: UnitFigures | None, now: UnitFigures | None,
           following: dict | None) -> tuple[str, str]:
    if not unit_id:
        return "no_unit", _("This recommendation concerns no single unit, so the scores "
                            "cannot show whether it was carried out.")
    if following is None:
        return "open", _("Open: there is no later evaluation yet to show whether it was "
                         "carried out.")
    year = digits(following["year"])
    if not (then and now):
        return "unknown", _("The unit «%(unit)s» was not evaluated in one of the two "
                            "evaluations, so the scores cannot tell.", unit=title)
    gain = round(now.score - then.score, 1)
    values = {"unit": title, "before": _number(then.score), "after": _number(now.score),
              "year": year}
    if gain >= ADDRESSED_GAIN:
        return "addressed", _("Addressed, by the scores: «%(unit)s» rose from %(before)s to "
                              "%(after)s in %(year)s.", **values)
    if gain > 0:
        return "partly", _("Partly addressed at best: «%(unit)s» rose only from %(before)s "
                           "to %(after)s in %(year)s.", **values)
    return "not_addressed", _("Not addressed, by the scores: «%(unit)s» went from %(before)s "
                              "to %(after)s in %(year)s.", **values)
