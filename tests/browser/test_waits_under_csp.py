"""The browser tests' waits must work under the app's Content-Security-Policy.

Playwright evaluates a bare expression given to `wait_for_function` with `eval` in the page on
every poll; our `script-src 'self'` refuses that, so such a wait fails whenever its condition is
not already true at the first look (it passed for months and then failed CI under load). A
function (`() => …`) is installed once and polled without `eval`.
"""
import ast
from pathlib import Path

BROWSER_TESTS = Path(__file__).parent


def _bare_expression_waits(folder=BROWSER_TESTS):
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "wait_for_function" and node.args):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                text = first.value
            elif isinstance(first, ast.JoinedStr) and first.values and isinstance(
                    first.values[0], ast.Constant):
                text = first.values[0].value
            else:
                continue
            if not text.lstrip().startswith(("(", "async", "function")):
                yield f"{path.name}:{node.lineno}: {text.strip()[:60]}"


def test_every_wait_for_function_is_given_a_function_not_an_expression():
    assert list(_bare_expression_waits()) == []


def test_the_check_finds_a_bare_expression(tmp_path):
    (tmp_path / "test_x.py").write_text(
        "page.wait_for_function(\"document.title === 'x'\")\n"
        "page.wait_for_function(\"() => document.title === 'x'\")\n", encoding="utf-8")
    assert list(_bare_expression_waits(tmp_path)) == ["test_x.py:1: document.title === 'x'"]
