"""An evaluation's score card from its stored answers, re-measuring only what changed.

Each criterion's score is a pure function of the rubric version, the tier, the pinned profile
and that criterion's stored answer (value, structured data, N/A and its reason; the note plays
no part). This process remembers the scores it computed under exactly that key
(:class:`CriterionMemo`), so a save re-measures the criteria whose answers it changed and
takes every other one from memory; the engine then adds up units, gates and the overall
score from all of them, as the full computation does (``app.scoring.score(known=…)``).
Nothing about an evaluation's state is cached: the answers are always the ones the
transaction reads, so a card is never stale, whichever server process computed the last one.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping

from app.rubric import AnswerValue, Rubric
from app.scoring import CriterionScore, ScoreCard, score

#: remembered criterion scores per process (about 400 bytes each)
MEMO_SIZE = 100_000


def answer_key(row) -> tuple:
    """What of a stored answer (an ``Answer`` or a row with its columns) a criterion's score
    depends on, hashable. The structured data as JSON text: the row's stored text when it
    carries one (``data_text``: no decoding), else the data encoded here. Either text
    determines the data, so equal keys always mean equal answers (the same data under two
    texts only costs a second measurement)."""
    data = getattr(row, "data_text", None)
    if data is None:
        data = row.data
        if data is not None:
            data = json.dumps(data, sort_keys=True, ensure_ascii=False)
    if row.na:
        return (None, data, True, row.na_reason or "")
    return (row.value, data, False, "")


class CriterionMemo:
    """A bounded, thread-safe memory of criterion scores, least recently used out first."""

    def __init__(self, size: int = MEMO_SIZE):
        self.size = size
        self._items: OrderedDict[tuple, CriterionScore] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> CriterionScore | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def get_many(self, keys: list[tuple]) -> list[CriterionScore | None]:
        """:meth:`get` of each key, under one hold of the lock."""
        items = self._items
        with self._lock:
            found = [items.get(key) for key in keys]
            for key, score_ in zip(keys, found, strict=True):
                if score_ is not None:
                    items.move_to_end(key)
        return found

    def put(self, key: tuple, value: CriterionScore) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


#: this process's memory
MEMO = CriterionMemo()


def profile_key(profile: Mapping | None) -> str:
    return json.dumps(profile or {}, sort_keys=True, ensure_ascii=False, default=str)


def card_from_rows(rubric: Rubric, rubric_sha: str, tier_id: str, profile: Mapping | None,
                   rows: Iterable, read_answer, *, memo: CriterionMemo | None = MEMO
                   ) -> ScoreCard:
    """The score card of stored answer `rows` (each with ``criterion_id`` and the answer
    columns); `read_answer(criterion, row)` turns a row into an :class:`AnswerValue` for the
    criteria that must be measured. `memo` None measures every criterion."""
    by_criterion = {row.criterion_id: row for row in rows}
    if memo is None:
        answers = {cid: read_answer(rubric.criterion(cid), row)
                   for cid, row in by_criterion.items()}
        return score(rubric, tier_id, answers, profile)
    base = (rubric_sha, tier_id, profile_key(profile))
    known: dict[str, CriterionScore] = {}
    keys: dict[str, tuple] = {}
    answers: dict[str, AnswerValue] = {}
    criteria = list(rubric.criteria())
    rows_of = [by_criterion.get(criterion.id) for criterion in criteria]
    wanted = [(*base, criterion.id, None if row is None else answer_key(row))
              for criterion, row in zip(criteria, rows_of, strict=True)]
    for criterion, row, key, found in zip(criteria, rows_of, wanted, memo.get_many(wanted),
                                          strict=True):
        if found is not None:
            known[criterion.id] = found
            continue
        keys[criterion.id] = key
        if row is not None:
            answers[criterion.id] = read_answer(criterion, row)
    card = score(rubric, tier_id, answers, profile, known=known)
    if keys:
        for scored in card.criteria:
            if scored.id in keys:
                memo.put(keys[scored.id], scored)
    return card
