"""What runs inside the rendering child. Preloaded by the forkserver (see ``render``), so that
WeasyPrint is imported — and fontconfig, Pango and HarfBuzz warmed up by one tiny render — once,
not once per report: every child forks from this warm state."""

from __future__ import annotations

import os

import weasyprint


def write_pdf(html: str, fetcher, base_url: str, path: str) -> tuple[int, list[str]]:
    """Render `html` with `fetcher` into `path`, fsynced; return (pages, refused URLs)."""
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render()
    with open(path, "wb") as file:
        document.write_pdf(file)
        file.flush()
        os.fsync(file.fileno())
    return len(document.pages), list(fetcher.refused)


def _warm_up() -> None:
    weasyprint.HTML(string="<p dir='rtl'>سلام ۱۲۳</p>").render().write_pdf()


_warm_up()
