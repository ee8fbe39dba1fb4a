"""Checking a draft rubric the way ``arzyab rubric check`` does, and the material the authors'
page shows about it: every problem put beside its line, the worked examples scored, sample
answers scored. No Flask, no database: the view brings the text and shows the results.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.rubric import (
    AnswerError,
    Rubric,
    RubricProblem,
    check_answers,
    check_rubric,
    coerce_answer,
    format_problem,
)
from app.rubric.examples import check_examples
from app.scoring import ScoreCard, score

#: lines of context kept around each problem in the annotated listing
CONTEXT_LINES = 2


@dataclass(frozen=True)
class Draft:
    """A rubric text and what checking it found."""

    text: str
    filename: str
    rubric: Rubric | None
    #: every problem, sorted by place: the file's and, when it loads, its examples'
    problems: tuple[RubricProblem, ...]

    @property
    def valid(self) -> bool:
        """The rubric loads (it may still have examples that disagree)."""
        return self.rubric is not None

    @property
    def clean(self) -> bool:
        """No problem at all: what `rubric check` accepts, and what may be published."""
        return self.rubric is not None and not self.problems


def check_draft(source: str | bytes, *, filename: str = "rubric.yaml", max_bytes: int,
                text: str | None = None) -> Draft:
    """Check `source` (the text, or the bytes of an uploaded file) as `rubric check` does.

    `text` is what to show for it when `source` is bytes (decoded with replacement if the
    bytes are not UTF-8, so the author still sees the file).
    """
    rubric, problems = check_rubric(source, filename=filename, max_bytes=max_bytes)
    problems = list(problems)
    if rubric is not None:
        problems += check_examples(rubric)
    problems.sort(key=lambda p: (p.line, p.col))
    if text is None:
        text = source if isinstance(source, str) else source.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    return Draft(text, filename, rubric, tuple(problems))


def problem_text(problem: RubricProblem, lang: str) -> str:
    """The problem's catalogue message and suggestion, as `rubric check` prints them after the
    place and the code."""
    line = format_problem(problem, "", lang)
    prefix = f":{problem.line}:{problem.col}: {problem.code} "
    return line[len(prefix):] if line.startswith(prefix) else line


# --- the listing with the problems beside their lines ------------------------------------------


@dataclass(frozen=True)
class LineNote:
    code: str
    col: int
    message: str


@dataclass(frozen=True)
class Row:
    number: int
    text: str
    notes: tuple[LineNote, ...] = ()


def annotate(text: str, problems, lang: str, context: int | None = CONTEXT_LINES
             ) -> list[list[Row]]:
    """The lines of `text` in runs: each problem's line with `context` lines either side
    (None: every line), each problem beside its line.

    A problem placed beyond the last line (an empty file, a missing key at the end) is shown
    on the last line.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "" and len(lines) > 1:
        lines.pop()  # the newline that ends the file starts no line of its own
    last = max(len(lines), 1)
    notes: dict[int, list[LineNote]] = {}
    for problem in problems:
        number = min(max(problem.line, 1), last)
        notes.setdefault(number, []).append(
            LineNote(problem.code, problem.col, problem_text(problem, lang)))
    if context is None:
        shown = range(1, last + 1)
    else:
        wanted: set[int] = set()
        for number in notes:
            wanted.update(range(max(1, number - context), min(last, number + context) + 1))
        shown = sorted(wanted)
    runs: list[list[Row]] = []
    previous = None
    for number in shown:
        if previous is None or number != previous + 1:
            runs.append([])
        runs[-1].append(Row(number, lines[number - 1] if number <= len(lines) else "",
                            tuple(notes.get(number, ()))))
        previous = number
    return runs


# --- dry runs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DryRun:
    """A set of answers scored against the draft: the examples' or pasted ones."""

    name: str
    tier_id: str | None
    card: ScoreCard | None = None
    expect_score: float | None = None
    expect_band: str | None = None
    #: why it could not be scored (messages in the page's language)
    errors: tuple[str, ...] = ()
    line: int = 0
    answers: dict = field(default_factory=dict, repr=False)

    @property
    def agrees(self) -> bool | None:
        """Whether the result is what the example expects (None: nothing expected)."""
        if self.card is None or (self.expect_score is None and self.expect_band is None):
            return None
        return ((self.expect_score is None or self.card.score == self.expect_score)
                and (self.expect_band is None or self.card.band == self.expect_band))


def example_runs(rubric: Rubric, lang: str) -> list[DryRun]:
    """Each worked example of the rubric (`examples:`) scored, with what it expects."""
    runs = []
    for example in rubric.examples:
        municipality = example.municipality
        tier_id = municipality.get("tier")
        if tier_id is None:
            tier = rubric.tier_for(municipality.get("grade"), municipality.get("population"))
            tier_id = tier.id if tier else None
        common = {"name": example.name, "expect_score": example.expect_score,
                  "expect_band": example.expect_band, "line": example.line}
        if tier_id is None or rubric.tier(str(tier_id)) is None:
            problem = RubricProblem("X001", example.line, 1, {"name": example.name})
            runs.append(DryRun(tier_id=None, errors=(problem_text(problem, lang),), **common))
            continue
        answers, errors = {}, []
        for criterion_id, raw in example.answers.items():
            criterion = rubric.criterion(str(criterion_id))
            try:
                if criterion is not None:
                    answers[criterion.id] = coerce_answer(criterion, raw)
                    continue
            except AnswerError:
                pass
            problem = RubricProblem("X002", example.line, 1,
                                    {"name": example.name, "id": criterion_id})
            errors.append(problem_text(problem, lang))
        if errors:
            runs.append(DryRun(tier_id=str(tier_id), errors=tuple(errors), **common))
            continue
        runs.append(DryRun(tier_id=str(tier_id), answers=answers, **common,
                           card=score(rubric, str(tier_id), answers, municipality)))
    return runs


def answers_run(text: str, rubric: Rubric, lang: str, *, max_bytes: int,
                name: str = "answers.yaml") -> DryRun:
    """A pasted answers file (the `arzyab score` shape) scored against the draft."""
    sheet, problems = check_answers(text, rubric, filename=name, max_bytes=max_bytes)
    if sheet is None:
        return DryRun(name=name, tier_id=None,
                      errors=tuple(f"{p.line}:{p.col}: {p.code} {problem_text(p, lang)}"
                                   for p in problems))
    return DryRun(name=name, tier_id=sheet.tier_id,
                  card=score(rubric, sheet.tier_id, sheet.answers, sheet.municipality),
                  answers=sheet.answers)
