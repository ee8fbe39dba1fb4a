"""What runs inside the rendering child. Preloaded by the forkserver (see ``render``), so that
WeasyPrint and pyHanko are imported — and fontconfig, Pango and HarfBuzz warmed up by one tiny
render — once, not once per report: every child forks from this warm state."""

from __future__ import annotations

import io
import os

import pyhanko.sign  # noqa: F401  (imported once here, used by app.reports.signing)
import weasyprint


class PageLimit(Exception):
    """More pages than the guard allows: nothing is written."""


def write_pdf(html: str, fetcher, base_url: str, path: str, options) -> tuple[int, list[str]]:
    """Render `html` with `fetcher` into `path`, fsynced; return (pages, refused URLs).

    `options` (render.PdfOptions): the PDF variant and tagging, embedded files, the page guard,
    and the signatures, applied after WeasyPrint has written the (PDF/A) file.
    """
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render()
    pages = len(document.pages)
    if options.max_pages and pages > options.max_pages:
        raise PageLimit(f"the report has {pages} pages, more than the {options.max_pages} "
                        f"allowed")
    attachments = [weasyprint.Attachment(string=item.data, name=item.name,
                                         description=item.description or None,
                                         relationship=item.relationship)
                   for item in options.attachments]
    data = document.write_pdf(pdf_variant=options.variant, pdf_tags=options.tags,
                              attachments=attachments or None)
    if options.signing is not None and options.signers:
        from app.reports.signing import sign_in_turn

        data = sign_in_turn(data, list(options.signers), options.signing)
    with open(path, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    return pages, list(fetcher.refused)


def _warm_up() -> None:
    weasyprint.HTML(string="<p dir='rtl'>سلام ۱۲۳</p>").render().write_pdf(io.BytesIO())


_warm_up()
