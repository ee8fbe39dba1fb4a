"""axe-core (from the npm registry, in node_modules) run on a page by Playwright: the
serious and critical violations it finds. axe is evaluated into the page through the
DevTools protocol, which the page's Content-Security-Policy (no inline script) does not
govern: the page is checked as people get it, its policy in force."""

from __future__ import annotations

from functools import cache
from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


@cache
def _source() -> str:
    assert AXE.is_file(), "axe-core is installed by scripts/setup.sh (npm ci)"
    # a statement list, not a function: Playwright evaluates it as a script
    return AXE.read_text(encoding="utf-8") + "\n;true"


def violations(page) -> list[dict]:
    """[{id, impact, help, nodes: [selector…]}] of the serious or critical problems."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
    }""")
    return [v for v in found if v["impact"] in SERIOUS]


def assert_accessible(page) -> None:
    found = violations(page)
    assert not found, f"{page.url}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in found)
