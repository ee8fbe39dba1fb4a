"""The reader's digits in real Chromium: a Latin digit in text laid out right to left is a
finding. Codes, dates and numbers people typed stay as typed inside a left-to-right isolate
(``<bdi dir="ltr">``, ``<code>``): those are not Persian text."""

from __future__ import annotations

#: text nodes with a Latin digit, laid out right to left, outside code and LTR isolates
LATIN_DIGITS_IN_PERSIAN = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    // runs isolated with LRI…PDI in plain text count as isolated too
    const text = node.nodeValue.replace(/\\u2066[^\\u2069]*\\u2069/g, "");
    if (!/[0-9]/.test(text)) continue;
    const element = node.parentElement;
    if (!element || element.closest("script, style, noscript, code, pre, kbd, samp")) continue;
    if (getComputedStyle(element).direction !== "rtl") continue;
    found.push(text.trim().slice(0, 80) + "   ⟵ " + element.outerHTML.slice(0, 160));
  }
  return found;
}"""


def latin_digits_in_persian(page) -> list[str]:
    """Each text node of `page` with a Latin digit laid out right to left, with its element."""
    return page.evaluate(LATIN_DIGITS_IN_PERSIAN)
