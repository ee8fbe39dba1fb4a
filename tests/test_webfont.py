"""The page font: the Vazirmatn subset that scripts/setup.sh builds (scripts/subset_font.py) is
what the pages get, it has every character the app shows, and it still shapes Persian as the
full font does. The PDF reports keep the full TTF files (tests/reports)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from app.config import ROOT
from app.factory import WEB_FONT

FULL = ROOT / "node_modules" / "vazirmatn" / "fonts" / "variable" / "Vazirmatn[wght].ttf"
SUBSET = ROOT / "generated" / "fonts" / WEB_FONT
#: where the text people read comes from (the rubric files are shown in the authors' editor)
SHOWN = ["templates/**/*.html", "app/static/**/*.js", "app/static/**/*.css",
         "app/translations/*/LC_MESSAGES/messages.po", "rubrics/**/*.yaml", "app/demo.py"]


@pytest.fixture(scope="module")
def fonts():
    assert SUBSET.is_file(), f"{SUBSET} is missing: scripts/setup.sh builds it"
    return TTFont(FULL), TTFont(SUBSET)


def test_the_pages_get_the_subset_and_it_is_small(client, fonts):
    full_woff2 = ROOT / "node_modules" / "vazirmatn" / "fonts" / "webfonts" / WEB_FONT
    with client.get(f"/assets/fonts/{WEB_FONT}") as response:
        assert response.status_code == 200 and response.mimetype == "font/woff2"
        served = response.data
    assert served == SUBSET.read_bytes()
    assert len(served) <= 40 * 1024 and len(served) < full_woff2.stat().st_size / 3
    TTFont(io.BytesIO(served))  # a font that parses
    # the other faces from the npm registry are still served as they are
    with client.get("/assets/fonts/Vazirmatn-Bold.woff2") as other:
        assert other.status_code == 200
        assert other.data == (full_woff2.parent / "Vazirmatn-Bold.woff2").read_bytes()
    with client.get("/assets/fonts/../../app/config.py") as outside:
        assert outside.status_code == 404


def test_every_character_the_app_shows_is_in_the_subset(fonts):
    full, subset = (font.getBestCmap() for font in fonts)
    shown = set()
    for pattern in SHOWN:
        for path in ROOT.glob(pattern):
            shown.update(map(ord, Path(path).read_text(encoding="utf-8")))
    wanted = {ord(c) for c in "\u200c٫٬٪«»،؛؟ـ"} | set(range(0x6F0, 0x6FA)) \
        | set(range(0x660, 0x66A)) | set(range(0x20, 0x7F))
    missing = sorted(c for c in (shown & set(full)) | wanted if c not in subset)
    assert not missing, [f"U+{c:04X} {chr(c)}" for c in missing]


def _outline(font, glyph: str):
    """A glyph by what it looks like (names do not survive subsetting)."""
    coordinates, ends, _flags = font["glyf"][glyph].getCoordinates(font["glyf"])
    return font["hmtx"][glyph][0], tuple(map(tuple, coordinates)), tuple(ends)


def _lookups(font, table: str, feature: str):
    gsub = font[table].table
    for record in gsub.FeatureList.FeatureRecord:
        if record.FeatureTag == feature:
            for index in record.Feature.LookupListIndex:
                for sub in gsub.LookupList.Lookup[index].SubTable:
                    yield getattr(sub, "ExtSubTable", sub)


def _substitutions(font, feature: str, reachable: set[str] | None = None) -> set:
    """(input outlines, output outline) of the feature's single substitutions and ligatures
    whose input glyphs are all in `reachable` (default: every glyph)."""
    pairs = set()
    for sub in _lookups(font, "GSUB", feature):
        rules = [((source,), target) for source, target in getattr(sub, "mapping", {}).items()]
        rules += [((first, *ligature.Component), ligature.LigGlyph)
                  for first, ligatures in getattr(sub, "ligatures", {}).items()
                  for ligature in ligatures]
        for inputs, output in rules:
            if reachable is None or set(inputs) <= reachable:
                pairs.add((tuple(_outline(font, g) for g in inputs), _outline(font, output)))
    return pairs


def _reachable(font, characters) -> set[str]:
    """The glyphs of `characters` and their joining and local forms."""
    cmap = font.getBestCmap()
    glyphs = {cmap[c] for c in characters if c in cmap}
    for feature in ("init", "medi", "fina", "locl"):
        for sub in _lookups(font, "GSUB", feature):
            glyphs |= {target for source, target in getattr(sub, "mapping", {}).items()
                       if source in glyphs}
    return glyphs


@pytest.mark.parametrize("feature", ["init", "medi", "fina", "rlig", "liga", "locl"])
def test_joining_forms_and_ligatures_are_those_of_the_full_font(fonts, feature):
    full, subset = fonts
    kept = set(subset.getBestCmap())
    expected = _substitutions(full, feature, _reachable(full, kept))
    assert expected, feature
    assert _substitutions(subset, feature) >= expected
    if feature in ("init", "medi", "fina"):  # every joining Persian letter still joins
        letters = subset.getBestCmap()
        joined = {inputs[0] for inputs, _ in _substitutions(subset, feature)}
        for letter in "بپتثجچحخسشصضطظعغفقکگلمنهی":
            assert _outline(subset, letters[ord(letter)]) in joined, (feature, letter)


def test_contextual_marks_and_kerning_are_kept_with_the_weight_axis(fonts):
    _full, subset = fonts
    gsub = {r.FeatureTag for r in subset["GSUB"].table.FeatureList.FeatureRecord}
    gpos = {r.FeatureTag for r in subset["GPOS"].table.FeatureList.FeatureRecord}
    assert {"ccmp", "calt", "init", "medi", "fina", "rlig", "liga", "locl"} <= gsub
    assert {"kern", "mark", "mkmk"} <= gpos
    assert not gsub & {"smcp", "ss01", "frac", "onum"}  # what the pages never ask for
    [axis] = subset["fvar"].axes
    assert (axis.axisTag, axis.minValue, axis.defaultValue, axis.maxValue) == \
        ("wght", 400, 400, 800)


def test_the_preloaded_font_is_the_one_the_style_sheet_and_service_worker_name(client):
    """One URL everywhere: a preload that differs from the style sheet's URL by as little as
    a percent-encoded bracket is fetched a second time."""
    page = client.get("/login").text
    [preload] = re.findall(r'<link rel="preload" href="([^"]+)" as="font"', page)
    css = (ROOT / "app" / "static" / "css" / "app.css").read_text(encoding="utf-8")
    assert re.findall(r'src: url\("([^"]+\.woff2)"\)', css) == [preload]
    assert f'"{preload}"' in (ROOT / "app" / "static" / "js" / "sw.js").read_text()
    assert preload == f"/assets/fonts/{WEB_FONT}"


@pytest.mark.parametrize("weight", [700])
def test_the_widths_between_weights_are_the_full_fonts_without_hvar(fonts, weight):
    """scripts/subset_font.py drops HVAR (and STAT): the advance widths at every weight then
    come from gvar's phantom points, and must be those the full font gives there."""
    from fontTools.varLib import instancer

    full, subset = (TTFont(path) for path in (FULL, SUBSET))  # instancing changes them
    assert "HVAR" in full and "HVAR" not in subset and "STAT" not in subset
    assert [(t.platformID, t.platEncID) for t in subset["cmap"].tables] == [(3, 1)]
    characters = subset.getBestCmap()
    at = {"wght": weight}
    full_at, subset_at = (instancer.instantiateVariableFont(font, at) for font in (full, subset))
    full_cmap = full_at.getBestCmap()
    widths = {chr(c): (full_at["hmtx"][full_cmap[c]][0], subset_at["hmtx"][g][0])
              for c, g in characters.items()}
    wrong = {c: pair for c, pair in widths.items() if abs(pair[0] - pair[1]) > 1}
    assert not wrong
    default = {chr(c): subset["hmtx"][g][0] for c, g in characters.items()}
    assert sum(width != default[c] for c, (width, _) in widths.items()) > 100  # they do vary
