"""The catalogue of problems the rubric and answers loaders report.

Every entry has a stable code (tests and authors rely on it), an English message template and,
where a fix exists, one or more hint templates. Templates use ``%(name)s`` placeholders and are
translated when shown (:func:`format_problem`), never when the problem is found, so a problem can
be reported in Persian on the command line and in English in a log.

A message names the place (``where``), the value as written, and the rule; its hint names the
fix. Parameters may be plain values or :class:`Where` / :class:`Term` objects, which are
rendered in the reader's language too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from app.i18n import N_, digits, list_separator, translator

# --- the catalogue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    code: str
    message: str
    #: hint templates by variant name; "default" is used when a problem names none
    hints: Mapping[str, str] = field(default_factory=dict)


def _entries(*entries: Entry) -> dict[str, Entry]:
    return {entry.code: entry for entry in entries}


_DID_YOU_MEAN = N_("did you mean «%(suggestion)s»?")

CATALOGUE: dict[str, Entry] = _entries(
    # reading the file
    Entry("R001", N_("the file is %(size)s bytes, more than the limit of %(limit)s bytes"),
          {"default": N_("split it into smaller files or remove text that is not needed")}),
    Entry("R002", N_("the file is not UTF-8 text: byte %(byte)s cannot be read"),
          {"default": N_("it may be saved as Windows-1256 (Arabic Windows); "
                         "save it again with the UTF-8 encoding")}),
    Entry("R003", N_("a tab character is used for indentation; YAML indentation must be spaces"),
          {"default": N_("replace the tab with spaces (two spaces per level)")}),
    Entry("R004", N_("the YAML cannot be read: %(problem)s"),
          {"default": N_("check the indentation, the «:» after each key and the quotes "
                         "on this line and the one before it")}),
    Entry("R005", N_("the anchor «&%(name)s» is not allowed in this file"),
          {"default": N_("write the value out in full instead of using anchors and aliases")}),
    Entry("R006", N_("the alias «*%(name)s» is not allowed in this file"),
          {"default": N_("write the value out in full instead of using anchors and aliases")}),
    Entry("R007", N_("the file is nested more than %(limit)s levels deep"),
          {"default": N_("a rubric needs only a few levels; check the indentation")}),
    Entry("R008", N_("the file has more than %(limit)s YAML items, more than the limit"),
          {"default": N_("split it into smaller files")}),
    Entry("R009", N_("the file is empty"),
          {"default": N_("start from an example rubric in the authors' guide")}),
    Entry("R010", N_("the file holds more than one YAML document (a second «---»)"),
          {"default": N_("keep one document per file")}),
    Entry("R011", N_("the tag «%(tag)s» is not allowed"),
          {"default": N_("remove the tag; to keep a value as text, put it in quotes")}),
    Entry("R012", N_("the file cannot be opened: %(reason)s"),
          {"default": N_("check the file name and that you may read the file")}),
    # shape
    Entry("R101", N_("%(where)s must be a mapping of «key: value» lines, but it is %(found)s"),
          {"default": N_("write it as indented «key: value» lines")}),
    Entry("R102", N_("%(where)s must be a list, but it is %(found)s"),
          {"default": N_("write each item on its own line starting with «- »")}),
    Entry("R103", N_("%(where)s must be text, but it is %(found)s")),
    Entry("R104", N_("%(where)s must be a number, but it is %(found)s"),
          {"default": N_("write digits only, such as «25» or «۱۲٫۵»")}),
    Entry("R105", N_("%(where)s must be a whole number, but it is %(found)s"),
          {"default": N_("write a whole number without a decimal point")}),
    Entry("R106", N_("%(where)s must be true or false, but it is %(found)s"),
          {"default": N_("write «true» or «false»")}),
    Entry("R107", N_("%(where)s is missing the required key «%(key)s»"),
          {"default": N_("add «%(key)s: …»")}),
    Entry("R108", N_("unknown key «%(key)s» in %(where)s"),
          {"default": _DID_YOU_MEAN,
           "allowed": N_("the keys allowed here are: %(allowed)s")}),
    Entry("R109", N_("the key «%(key)s» appears twice in %(where)s: on line %(first_line)s "
                     "and again on line %(line)s"),
          {"default": N_("keep only one of them; otherwise one value would be lost silently")}),
    Entry("R110", N_("%(where)s is empty"),
          {"default": N_("write a value after «%(key)s:»")}),
    Entry("R111", N_("%(where)s has no items; at least one is needed"),
          {"default": N_("add at least one item, each on a line starting with «- »")}),
    # ids and references
    Entry("R201", N_("the code %(raw)s in %(where)s is written as a bare number, which YAML "
                     "reads as %(parsed)s; codes must be text"),
          {"default": N_("put it in quotes: %(fixed)s")}),
    Entry("R202", N_("the tier id «%(id)s» is used twice: on line %(first_line)s and again "
                     "on line %(line)s"),
          {"default": N_("give every tier its own id")}),
    Entry("R203", N_("the unit id «%(id)s» is used twice: on line %(first_line)s and again "
                     "on line %(line)s"),
          {"default": N_("give every unit its own id")}),
    Entry("R204", N_("the criterion id «%(id)s» is used twice: on line %(first_line)s and again "
                     "on line %(line)s; criterion ids must be unique in the whole rubric"),
          {"default": N_("give every criterion its own id")}),
    Entry("R205", N_("unknown criterion type «%(value)s» in %(where)s; the types are %(known)s"),
          {"default": _DID_YOU_MEAN}),
    Entry("R206", N_("unknown tier «%(value)s» in %(where)s; the tiers of this rubric are "
                     "%(known)s"),
          {"default": _DID_YOU_MEAN,
           "define": N_("use one of the tier ids defined under «tiers:»")}),
    Entry("R207", N_("unknown scale «%(value)s» in %(where)s; the scales defined are %(known)s"),
          {"default": _DID_YOU_MEAN,
           "define": N_("define it under «scales:» or write the levels inline")}),
    Entry("R208", N_("%(where)s gives no value for tier «%(tier)s», which the item applies to"),
          {"default": N_("add «%(tier)s: …» or write one value for every tier")}),
    Entry("R209", N_("«better» in %(where)s is «%(value)s»; it must be «higher» or «lower»"),
          {"default": _DID_YOU_MEAN}),
    Entry("R210", N_("%(where)s applies to no tier: its unit applies only to %(known)s"),
          {"default": N_("list at least one of the unit's tiers in «applies_to»")}),
    # numbers
    Entry("R301", N_("%(where)s is %(value)s; a weight must be greater than 0"),
          {"default": N_("use a positive number; to leave a tier out, use «applies_to»")}),
    Entry("R302", N_("%(where)s has type «%(type)s» and so needs «%(key)s»"),
          {"default": N_("add «%(key)s: …»")}),
    Entry("R303", N_("%(where)s is %(value)s; a target cannot be negative"),
          {"default": N_("use 0 or a positive number")}),
    Entry("R304", N_("%(where)s is %(value)s; in a percent criterion it must be between "
                     "0 and 100"),
          {"default": N_("write the percentage without the «%%» sign, such as «95»")}),
    Entry("R305", N_("«%(key)s» in %(where)s has no meaning for type «%(type)s»"),
          {"default": N_("remove «%(key)s»")}),
    Entry("R306", N_("the floor %(floor)s of tier «%(tier)s» in %(where)s must be below the "
                     "target %(target)s, because higher values are better"),
          {"default": N_("the floor is the value that scores 0; make it smaller than the "
                         "target, or set «better: lower»")}),
    Entry("R307", N_("the floor %(floor)s of tier «%(tier)s» in %(where)s must be above the "
                     "target %(target)s, because lower values are better"),
          {"default": N_("the floor is the worst value, scoring 0; make it larger than the "
                         "target, or remove «better: lower»")}),
    Entry("R308", N_("%(where)s is %(value)s; it must be a percentage between 0 and 100"),
          {"default": N_("for example, «50» asks for a note below half of the points")}),
    Entry("R309", N_("%(where)s is %(value)s; it must be more than 0 and at most 1"),
          {"default": N_("for example, «0.34» allows N/A on a third of a unit's weight")}),
    Entry("R310", N_("«%(key)s» cannot be used together with «brackets» in %(where)s"),
          {"default": N_("remove «%(key)s»: the brackets give the points")}),
    Entry("R311", N_("%(where)s gives the fraction %(value)s; a bracket's fraction must be "
                     "between 0 and 1"),
          {"default": N_("write the share of the weight the step earns, such as «0.6»")}),
    Entry("R312", N_("%(where)s must give exactly one of «min» or «max», and a «fraction»"),
          {"default": N_("for example «{min: 80, fraction: 1}»; use «max» when lower "
                         "values are better")}),
    Entry("R313", N_("the brackets of %(where)s mix «min» and «max»"),
          {"default": N_("use «min» in every bracket (higher is better) or «max» in every "
                         "bracket (lower is better)")}),
    Entry("R314", N_("the bound %(value)s appears twice in %(where)s: on line %(first_line)s "
                     "and again on line %(line)s"),
          {"default": N_("give every bracket its own bound")}),
    Entry("R315", N_("in %(where)s «min» %(low)s is not below «max» %(high)s"),
          {"default": N_("make «min» smaller than «max», or remove one of them")}),
    Entry("R316", N_("%(where)s is %(value)s; it must be more than 0 and at most %(limit)s "
                     "minutes"),
          {"default": N_("write how many minutes an inspector on site usually needs for the "
                         "unit, such as «45»")}),
    Entry("R320", N_("«aggregate» in %(where)s is «%(value)s»; it must be one of %(known)s"),
          {"default": _DID_YOU_MEAN}),
    Entry("R321", N_("%(where)s is %(value)s; at least one site is needed"),
          {"default": N_("write a whole number of sites, 1 or more")}),
    Entry("R322", N_("%(where)s has both «samples» and «inputs»; a computed value cannot be "
                     "observed at several sites"),
          {"default": N_("remove «samples», or split the criterion in two")}),
    Entry("R340", N_("%(where)s is declared by the municipality, but it is observed at several "
                     "sites («samples»): only the inspector observes sites"),
          {"default": N_("remove «declared» (or write «declared: false» on the criterion when "
                         "its unit is declared), or remove «samples»")}),
    Entry("R330", N_("%(where)s is %(value)s; an item's points must be greater than 0"),
          {"default": N_("use a positive number, or remove the item")}),
    Entry("R331", N_("%(where)s is %(value)s; it must be more than 0 and at most the %(total)s "
                     "points of all items"),
          {"default": N_("lower «full_at», or give the items more points")}),
    # tiers
    Entry("R401", N_("%(where)s is %(found)s; it must be a pair [from, to]"),
          {"default": N_("for example «[1, 4]»; leave «to» empty (null) for no upper limit")}),
    Entry("R402", N_("%(where)s is %(value)s; municipal grades run from 1 to 12"),
          {"default": N_("use a grade between 1 and 12")}),
    Entry("R403", N_("%(where)s runs from %(low)s down to %(high)s; the start must not be "
                     "larger than the end"),
          {"default": N_("swap them: [%(high)s, %(low)s]")}),
    Entry("R404", N_("%(where)s is %(value)s; a population cannot be negative"),
          {"default": N_("use 0 or a positive number")}),
    Entry("R405", N_("tier «%(tier)s» has neither «grades» nor «population», so it matches "
                     "every municipality and the tiers after it (%(later)s) can never match"),
          {"default": N_("move tier «%(tier)s» to the end of the list, or give it a condition")}),
    Entry("R406", N_("no tier takes the grade(s) %(gaps)s: tiers given by «grades» must "
                     "together cover grades 1 to 12"),
          {"default": N_("widen a tier's «grades», or add a tier for these grades")}),
    Entry("R407", N_("no tier takes the population(s) %(gaps)s: tiers given by «population» "
                     "must together cover every population from 0 up"),
          {"default": N_("make each tier start one above where the one before it ends")}),
    # bands
    Entry("R501", N_("the lowest band starts at %(value)s; the lowest band must start at 0"),
          {"default": N_("add a band with «min: 0» (or change this band's min to 0)")}),
    Entry("R502", N_("%(where)s is %(value)s; a band's min must be between 0 and 100")),
    Entry("R503", N_("two bands start at %(value)s: on line %(first_line)s and again on "
                     "line %(line)s"),
          {"default": N_("give every band its own min")}),
    # scales
    Entry("R601", N_("the level «%(value)s» in %(where)s must be a number"),
          {"default": N_("write each level as «number: label», such as «2: ناقص»")}),
    Entry("R602", N_("%(where)s has %(count)s level(s); a scale needs at least 2"),
          {"default": N_("add the levels, each as «number: label»")}),
    Entry("R603", N_("the level %(value)s appears twice in %(where)s: on line %(first_line)s "
                     "and again on line %(line)s"),
          {"default": N_("give every level its own number")}),
    Entry("R604", N_("the label «%(value)s» is used by two levels of %(where)s: on line "
                     "%(first_line)s and again on line %(line)s"),
          {"default": N_("give every level its own label, so answers by label are clear")}),
    # formulas of computed criteria
    Entry("R701", N_("the formula of %(where)s cannot be read at «%(found)s»"),
          {"default": N_("use numbers, the input and profile names, + - * /, parentheses, "
                         "min(…) and max(…)")}),
    Entry("R702", N_("the formula of %(where)s uses «%(value)s», which is neither an input of "
                     "the criterion nor a profile name; the names it may use are %(known)s"),
          {"default": _DID_YOU_MEAN,
           "define": N_("define it under «inputs:», or use a profile name")}),
    Entry("R703", N_("the formula of %(where)s ends before it is complete"),
          {"default": N_("check that every «(» is closed and nothing follows an operator at "
                         "the end")}),
    Entry("R704", N_("the formula of %(where)s calls «%(name)s»; only min(…) and max(…) are "
                     "allowed"),
          {"default": N_("write the calculation with + - * / instead")}),
    Entry("R705", N_("the input name «%(name)s» in %(where)s is not allowed"),
          {"default": N_("start with a Latin letter, then letters, digits or «_», "
                         "such as «green_area»"),
           "profile": N_("this is a profile name, which formulas read from the municipality; "
                         "choose another name for what the inspector counts")}),
    Entry("R706", N_("%(where)s has «inputs» but no «formula» that computes the value from them"),
          {"default": N_("add «formula: …», such as «formula: green_area / population»")}),
    # verdict rules (gates)
    Entry("R801", N_("%(where)s must name either «units» or «criteria» (one of them)"),
          {"default": N_("add «units: [...]» (or «units: all») or «criteria: [...]»")}),
    Entry("R802", N_("%(where)s names the unit «%(value)s», which the rubric does not have"),
          {"default": _DID_YOU_MEAN}),
    Entry("R803", N_("%(where)s names the criterion «%(value)s», which the rubric does not "
                     "have"),
          {"default": _DID_YOU_MEAN}),
    Entry("R804", N_("%(where)s is %(value)s; it must be a score between 0 and 100"),
          {"default": N_("for example «59.9»")}),
    Entry("R805", N_("%(where)s is %(value)s; it must be between 0 and 1"),
          {"default": N_("for example «0.67»")}),
    Entry("R806", N_("%(where)s is %(value)s; the count must be a whole number, 1 or more"),
          {"default": N_("write how many of the named items must reach «min»")}),
    Entry("R807", N_("%(where)s must give exactly one of «cap» or «factor»"),
          {"default": N_("«cap: 59.9» limits the overall score; «factor: 0.67» multiplies it")}),
    Entry("R808", N_("the gate id «%(id)s» is used twice: on line %(first_line)s and again "
                     "on line %(line)s"),
          {"default": N_("give every gate its own id")}),
    # answers
    Entry("A001", N_("there is an answer for «%(id)s», but the rubric has no criterion with "
                     "this id"),
          {"default": _DID_YOU_MEAN}),
    Entry("A002", N_("the answer %(value)s to criterion «%(id)s» is not a level of its scale; "
                     "the levels are %(levels)s"),
          {"default": N_("answer with one of the level numbers or labels")}),
    Entry("A003", N_("the answer %(value)s to criterion «%(id)s» is a percentage and must be "
                     "between 0 and 100")),
    Entry("A004", N_("the answer %(value)s to criterion «%(id)s» is not a number"),
          {"default": N_("write digits only, such as «۸۱» or «۱۲٫۵»")}),
    Entry("A005", N_("the answer %(value)s to criterion «%(id)s» must be yes or no"),
          {"default": N_("write «بله» or «خیر» (or true / false)")}),
    Entry("A006", N_("criterion «%(id)s» cannot be marked N/A (not applicable)"),
          {"default": N_("give a value; only criteria with «allow_na: true» may be N/A")}),
    Entry("A007", N_("criterion «%(id)s» is marked N/A without a reason"),
          {"default": N_("write the reason: {na: …reason…}")}),
    Entry("A008", N_("the answer to criterion «%(id)s» has the wrong shape: %(found)s"),
          {"default": N_("write a value, {value: …, note: …} or {na: …reason…}")}),
    Entry("A010", N_("criterion «%(id)s» is not computed, so its answer cannot give "
                     "«inputs»"),
          {"default": N_("give its value instead")}),
    Entry("A011", N_("the answer to criterion «%(id)s» gives the input «%(name)s», which the "
                     "criterion does not have; its inputs are %(known)s"),
          {"default": _DID_YOU_MEAN}),
    Entry("A012", N_("the input «%(name)s» of criterion «%(id)s» is %(value)s; inputs are "
                     "numbers, 0 or more"),
          {"default": N_("write digits only, such as «۱۴۴۰۰»")}),
    Entry("A013", N_("criterion «%(id)s» is computed from its inputs, so its answer cannot "
                     "give a value"),
          {"default": N_("give the inputs: {inputs: {…}}")}),
    Entry("A014", N_("the answer to criterion «%(id)s» ticks %(value)s, which is not an item "
                     "of its checklist; the items are %(known)s"),
          {"default": _DID_YOU_MEAN}),
    Entry("A015", N_("the answer to checklist criterion «%(id)s» must be the list of ticked "
                     "item keys, but it is %(found)s"),
          {"default": N_("write the keys in brackets, such as «[plan, staff]», or «[]» for "
                         "none")}),
    Entry("A016", N_("criterion «%(id)s» is not observed at several sites, so its answer "
                     "cannot give «samples»"),
          {"default": N_("give its value instead"),
           "inputs": N_("give its inputs instead: {inputs: {…}}")}),
    Entry("A017", N_("sample number %(number)s of criterion «%(id)s» must give a «site» (the "
                     "place observed) and a «value»"),
          {"default": N_("write each sample as «{site: …, value: …}»")}),
    Entry("A018", N_("criterion «%(id)s» is observed at several sites, so its answer must "
                     "list «samples», not one value"),
          {"default": N_("write «{samples: [{site: …, value: …}, …]}»")}),
    Entry("A019", N_("criterion «%(id)s» lists more than %(limit)s samples")),
    Entry("A020", N_("the sample at «%(site)s» of criterion «%(id)s» has no value"),
          {"default": N_("give the value observed there, or remove the sample")}),
    Entry("A021", N_("the answer %(value)s to criterion «%(id)s» is below the lowest allowed "
                     "value, %(limit)s"),
          {"default": N_("check the number; the rubric allows nothing below %(limit)s")}),
    Entry("A022", N_("the answer %(value)s to criterion «%(id)s» is above the highest allowed "
                     "value, %(limit)s"),
          {"default": N_("check the number; the rubric allows nothing above %(limit)s")}),
    Entry("A023", N_("the answer %(value)s to criterion «%(id)s» could be read two ways: is the "
                     "comma a decimal mark or a thousands separator?"),
          {"default": N_("write the decimal mark as «٫» or «.» (۱۲٫۵), and thousands in groups "
                         "of three (۱٬۲۰۰) or without a separator")}),
    Entry("A024", N_("the answer %(value)s to criterion «%(id)s» is too large"),
          {"default": N_("check the number of digits")}),
    Entry("A025", N_("at the site «%(site)s» of criterion «%(id)s»: %(problem)s")),
    # worked examples (scored by app.rubric.examples)
    Entry("X001", N_("example «%(name)s»: no tier of the rubric matches its municipality"),
          {"default": N_("give the example's municipality a «tier», or a grade or population "
                         "that a tier covers")}),
    Entry("X002", N_("example «%(name)s»: the answer for «%(id)s» is not accepted: "
                     "%(problem)s"),
          {"default": N_("check the criterion id and the value against the rubric")}),
    Entry("X003", N_("example «%(name)s» expects the score %(expected)s, but it scores "
                     "%(got)s"),
          {"default": N_("correct the expected score, or the targets and weights if the "
                         "example is right")}),
    Entry("X004", N_("example «%(name)s» expects the band «%(expected)s», but it gets "
                     "«%(got)s»"),
          {"default": N_("correct the expected band, or the bands if the example is right")}),
    Entry("A009", N_("no tier of the rubric matches the municipality (grade %(grade)s, "
                     "population %(population)s)"),
          {"default": N_("give the tier explicitly with «tier: …», or check the grade and "
                         "population")}),
)

#: words used as parameters, translated when shown
TERMS = {
    "a list": N_("a list"),
    "a mapping": N_("a mapping"),
    "empty": N_("empty"),
    "none": N_("none"),
    "unknown": N_("unknown"),
    "both a value and N/A": N_("both a value and N/A"),
}

#: how the parts of a place are named
PLACE_SEGMENTS = {
    "tier": N_("tier «%(id)s»"),
    "unit": N_("unit «%(id)s»"),
    "criterion": N_("criterion «%(id)s»"),
    "band": N_("band «%(id)s»"),
    "scale": N_("scale «%(id)s»"),
    "example": N_("example «%(id)s»"),
    "gate": N_("gate «%(id)s»"),
    "gate#": N_("gate number %(id)s"),
    "input": N_("input «%(id)s»"),
    "item": N_("item «%(id)s»"),
    "bracket#": N_("bracket number %(id)s"),
    "tier#": N_("tier number %(id)s"),
    "unit#": N_("unit number %(id)s"),
    "criterion#": N_("criterion number %(id)s"),
    "band#": N_("band number %(id)s"),
    "example#": N_("example number %(id)s"),
    "item#": N_("item number %(id)s"),
    "municipality": N_("the municipality"),
    "answers": N_("the answers"),
    "answer": N_("the answer to «%(id)s»"),
}
_KEY_IN_PLACE = N_("«%(key)s» in %(place)s")
_KEY_ALONE = N_("«%(key)s»")
_TOP_LEVEL = N_("the top level of the file")
_SUGGESTION = N_("suggestion")


class Term(str):
    """A word used as a message parameter; translated when the message is shown."""


class Span(tuple):
    """A range of whole numbers (low, high) as a message parameter: «5» or «1000–1999», in the
    reader's digits."""

    def render(self, lang: str) -> str:
        low, high = self
        text = str(low) if low == high else f"{low}–{high}"
        return digits(text, lang)


@dataclass(frozen=True)
class Where:
    """A place in the file: the path of enclosing items and, optionally, the key."""

    path: tuple[tuple[str, str], ...] = ()
    key: str | None = None

    def __truediv__(self, segment: tuple[str, str]) -> Where:
        return Where(self.path + (segment,))

    def at(self, key: str) -> Where:
        return Where(self.path, key)

    def render(self, gettext, lang: str) -> str:
        sep = list_separator(lang)
        parts = [gettext(PLACE_SEGMENTS[kind]) % {
                     "id": digits(_clean(ident), lang)}
                 for kind, ident in self.path]
        place = sep.join(parts)
        if self.key is None:
            return place or gettext(_TOP_LEVEL)
        if not place:
            return gettext(_KEY_ALONE) % {"key": _clean(self.key)}
        return gettext(_KEY_IN_PLACE) % {"key": _clean(self.key), "place": place}


@dataclass(frozen=True)
class RubricProblem:
    """One problem found in a file: a catalogue code at a 1-based line and column."""

    code: str
    line: int
    col: int
    params: Mapping[str, object] = field(default_factory=dict)
    #: parameters of the hint; the hint is shown only when the entry has one
    hint_params: Mapping[str, object] = field(default_factory=dict)
    #: which of the entry's hints to show ("default" unless a problem needs another)
    hint: str = "default"

    @property
    def entry(self) -> Entry:
        return CATALOGUE[self.code]

    def message(self, lang: str = "en") -> str:
        return _render_message(self, lang)[0]

    def advice(self, lang: str = "en") -> str:
        """The message and, when the entry has one, its hint: what is wrong and how to write
        it instead (what a form shows beside the field)."""
        message, hint = _render_message(self, lang)
        return f"{message} — {hint}" if hint else message


class RubricError(Exception):
    """A rubric or answers file with problems; `problems` holds every one found."""

    def __init__(self, problems: Iterable[RubricProblem], filename: str = "<rubric>"):
        self.problems = sorted(problems, key=lambda p: (p.line, p.col))
        self.filename = filename
        super().__init__(self.format("en"))

    def format(self, lang: str = "fa") -> str:
        return "\n".join(format_problem(p, self.filename, lang) for p in self.problems)

    def lines(self, lang: str = "fa") -> list[str]:
        return [format_problem(p, self.filename, lang) for p in self.problems]


# --- rendering --------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MAX_PARAM = 80


def _clean(value: object) -> str:
    """A parameter as safe one-line text: no control characters, not too long."""
    text = _CONTROL.sub(" ", str(value)).strip()
    if len(text) > _MAX_PARAM:
        text = text[:_MAX_PARAM - 1] + "…"
    return text


def _param(value: object, gettext, lang: str) -> str:
    if isinstance(value, RubricProblem):  # a problem inside another (a sample's, an example's)
        return _render_message(value, lang)[0]
    if isinstance(value, Where):
        return value.render(gettext, lang)
    if isinstance(value, Term):
        return gettext(TERMS.get(value, value))
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        number = int(value) if float(value).is_integer() else value
        return digits(number, lang)
    if isinstance(value, (list, tuple)):
        sep = list_separator(lang)
        items = [f"«{item.render(lang) if isinstance(item, Span) else _clean(item)}»"
                 for item in value[:12]]
        if not items:
            return gettext(TERMS["none"])
        return sep.join(items) + (sep + "…" if len(value) > 12 else "")
    return _clean(value)


#: parameters that name an id (a criterion «۱٫۱۰», a unit): said in the reader's digits
_ID_PARAMS = frozenset({"id"})
#: parameters of an answer's message that quote what was typed or what may be typed
_TYPED_PARAMS = frozenset({"value", "levels"})


def _render(template: str, params: Mapping[str, object], gettext, lang: str,
            typed: bool = False) -> str:
    """`template` translated, with its parameters rendered for `lang`. Ids are said in the
    reader's digits; so is what an inspector typed (`typed`: the answers' messages), while a
    rubric's own text (YAML an author wrote and will correct) is quoted as written."""
    rendered = {name: _param(value, gettext, lang) for name, value in params.items()}
    for name in rendered:
        if name in _ID_PARAMS or (typed and name in _TYPED_PARAMS):
            rendered[name] = digits(rendered[name], lang)
    try:
        return gettext(template) % rendered
    except (KeyError, ValueError, TypeError):  # a broken translation must not hide the problem
        return template % rendered


def _render_message(problem: RubricProblem, lang: str) -> tuple[str, str | None]:
    gettext = translator(lang).gettext
    entry = CATALOGUE.get(problem.code)
    if entry is None:  # a code from outside the catalogue: still one readable line
        details = ", ".join(f"{name}={_param(value, gettext, lang)}"
                            for name, value in problem.params.items())
        return details, None
    typed = problem.code.startswith("A")
    message = _render(entry.message, problem.params, gettext, lang, typed)
    hint_template = entry.hints.get(problem.hint)
    hint = None
    if hint_template is not None:
        hint_params = {**problem.params, **problem.hint_params}
        try:
            hint = _render(hint_template, hint_params, gettext, lang, typed)
        except KeyError:  # the hint needs a parameter this problem did not give
            hint = None
    return message, hint


def format_problem(problem: RubricProblem, filename: str, lang: str = "fa") -> str:
    """``FILE:LINE:COL: CODE message — suggestion: hint`` on one line."""
    message, hint = _render_message(problem, lang)
    text = f"{filename}:{problem.line}:{problem.col}: {problem.code} {message}"
    if hint:
        text += f" — {translator(lang).gettext(_SUGGESTION)}: {hint}"
    return text.replace("\n", " ")
