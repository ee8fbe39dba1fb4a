"""The scoring rules of one evaluation as plain data, for the page's own live score.

The form computes its score in the page as the inspector types, also with no connection
(``app/static/js/scoring.js``); these are the rules it computes with: for each applicable
criterion what its type says in :meth:`CriterionType.client_spec` (how a typed value is read,
its weight, and what its fraction reads for the tier and for the reference tier), the units'
weights and N/A limits, the bands, the gates and the municipality's profile. The page's figures
are those of :func:`app.scoring.score` because both sides are checked against the same test
vectors (``tests/data/live_score_vectors.json``: ``tests/test_live_score.py`` for Python,
``tests/js/scoring.test.js`` for the page, under ``node --test``).

Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.rubric.formula import profile_values
from app.rubric.model import Rubric


def page_rules(rubric: Rubric, tier_id: str, profile: Mapping[str, object] | None) -> dict:
    """What the page needs to score answers for a municipality in tier `tier_id`."""
    reference = rubric.reference_tier
    units, criteria = [], {}
    for unit in rubric.units:
        unit_applies = unit.applies(tier_id)
        ids = []
        if unit_applies:
            for criterion in unit.criteria:
                if criterion.applies(tier_id):
                    criteria[criterion.id] = criterion.kind.client_spec(criterion, tier_id,
                                                                        reference)
                    ids.append(criterion.id)
        applies = unit_applies and bool(ids)
        units.append({"id": unit.id, "applies": applies,
                      "weight": unit.weight_for(tier_id) if applies else None,
                      "na_limit": unit.na_limit if unit.na_limit is not None
                      else rubric.na_limit,
                      "criteria": ids})
    return {
        "tier": tier_id,
        "units": units,
        "criteria": criteria,
        "bands": [[band.min, band.label] for band in rubric.bands],
        "gates": [{"id": gate.id, "title": gate.title,
                   "units": list(gate.units) if gate.units is not None else None,
                   "criteria": list(gate.criteria) if gate.criteria is not None else None,
                   "min": gate.min, "count": gate.count, "cap": gate.cap,
                   "factor": gate.factor} for gate in rubric.gates],
        "profile": profile_values(profile),
    }
