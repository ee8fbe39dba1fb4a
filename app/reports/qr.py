"""QR codes for printed reports, made by segno and drawn as one SVG path (no SVG text, which
WeasyPrint cannot shape; nothing fetched)."""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup


@lru_cache(maxsize=256)
def svg(text: str) -> Markup:
    """An inline <svg> of the QR code for `text` (error correction M, 2-module quiet zone),
    sized by the stylesheet (class ``qr``)."""
    import segno

    code = segno.make_qr(text, error="m")
    return Markup(code.svg_inline(scale=1, border=2, dark="#000", light="#fff",
                                  omitsize=True, svgclass="qr", lineclass=None))
