"""axe-core (from the npm registry, in node_modules) run on a page by Playwright: the
serious and critical violations it finds. The page's Content-Security-Policy allows no
inline script, so the context that runs axe must be made with ``bypass_csp=True``."""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def violations(page) -> list[dict]:
    """[{id, impact, help, nodes: [selector…]}] of the serious or critical problems."""
    assert AXE.is_file(), "axe-core is installed by scripts/setup.sh (npm ci)"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
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
