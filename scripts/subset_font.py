"""Build the web font: Vazirmatn (from the npm registry) cut down to what Arzyab's pages show.

    .venv/bin/python scripts/subset_font.py [--source TTF] [--output WOFF2]

The variable Vazirmatn keeps every glyph of Persian, Arabic-Indic and basic Latin text and the
punctuation the app uses, the OpenType features that shape Persian (joining forms, ligatures,
marks, kerning), and its weight axis limited to the weights the style sheet uses (400–800).
The output is WOFF2 in generated/fonts/ (git-ignored), which the app serves under the name of
the full font; the PDF reports keep embedding the full TTF files. scripts/setup.sh runs this
only when the source font or this file (the subset's specification) changed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "node_modules" / "vazirmatn" / "fonts" / "variable" / "Vazirmatn[wght].ttf"
OUTPUT = ROOT / "generated" / "fonts" / "Vazirmatn[wght].woff2"


def _span(first: int, last: int) -> set[int]:
    return set(range(first, last + 1))


#: the characters kept, with everything the shaping features reach from them: what the app's
#: texts use (templates, scripts, style sheet, both translations, rubrics, demo data: the test
#: tests/test_webfont.py reads them all and fails on a character missing here) and what people
#: type into them on a Persian or English keyboard (iPadOS turns quotes into curly ones). Not
#: kept, as nothing shows them and no keyboard types them: © ± ° ‰ ‹ › ≈ ≠ ﷼ (~1 KB of the
#: WOFF2); pasted into a note, such a character is drawn in the system's font.
UNICODES: set[int] = (
    _span(0x0020, 0x007E)  # basic Latin: usernames, e-mail, codes, the English interface
    # no-break space, «, soft hyphen, ·, », ×, ÷
    | {0x00A0, 0x00AB, 0x00AD, 0x00B7, 0x00BB, 0x00D7, 0x00F7}
    | {0x060C, 0x061B, 0x061F}  # ، ؛ ؟
    | _span(0x0621, 0x063A)  # Arabic letters hamza … ghain
    | _span(0x0640, 0x0655)  # tatweel, fa … yeh, harakat, hamza above and below
    | {0x0670}  # superscript alef
    | _span(0x0660, 0x066C)  # Arabic-Indic digits, ٪ ٫ ٬
    | {0x067E, 0x0686, 0x0698, 0x06A9, 0x06AF, 0x06C0, 0x06CC}  # پ چ ژ ک گ ۀ ی
    | _span(0x06F0, 0x06F9)  # Persian digits
    | {0x2009} | _span(0x200B, 0x200F)  # thin space, ZWSP, ZWNJ, ZWJ, LRM, RLM
    | _span(0x202A, 0x202F)  # bidirectional embeddings, narrow no-break space
    # hyphens, en and em dashes, curly quotes, bullet, ellipsis
    | {0x2010, 0x2011, 0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2026}
    | {0x2212, 0x2264, 0x2265}  # minus, ≤ ≥ (the rubrics' bracket tables)
)

#: OpenType features Persian text needs (and Latin kerning); the rest (small caps,
#: stylistic sets, fractions, old-style figures) are dropped
FEATURES = ["ccmp", "locl", "isol", "init", "medi", "fina", "rlig", "liga", "calt", "kern",
            "mark", "mkmk", "curs", "rvrn"]

#: tables a browser does without (~0.6 KB of the WOFF2): HVAR only speeds up the advance
#: widths between weights, which gvar's phantom points give too (OpenType: HVAR is optional in
#: a TrueType variable font); STAT names the styles for an operating system's font menus
DROPPED_TABLES = ("HVAR", "STAT")

#: the weight axis kept: app.css uses 400 (text) to 800 (the brand)
WEIGHTS = (400, 800)


def build(source: Path = SOURCE, output: Path = OUTPUT) -> int:
    """Write the subset WOFF2 to `output` (atomically); return its size in bytes."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    options = subset.Options()
    options.layout_features = FEATURES
    options.flavor = "woff2"
    options.notdef_outline = True
    font = TTFont(source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=UNICODES)
    subsetter.subset(font)
    font = instancer.instantiateVariableFont(font, {"wght": WEIGHTS})
    for tag in DROPPED_TABLES:
        del font[tag]
    # one cmap subtable: the Windows Unicode one every browser reads (the Unicode-platform
    # copy beside it maps the same characters)
    font["cmap"].tables = [table for table in font["cmap"].tables
                           if (table.platformID, table.platEncID) == (3, 1)]
    font.flavor = "woff2"
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".part")
    font.save(partial)
    partial.replace(output)
    return output.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"error: {args.source} is missing (npm ci installs it)", file=sys.stderr)
        return 1
    size = build(args.source, args.output)
    shown = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
    print(f"==> web font: {shown} ({size / 1024:.1f} KB, "
          f"from {args.source.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
