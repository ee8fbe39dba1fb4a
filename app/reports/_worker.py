"""What runs inside the rendering child. Preloaded by the forkserver (see ``render``), so that
WeasyPrint is imported once, not once per report."""

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
