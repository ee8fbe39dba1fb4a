"""HTML → PDF with WeasyPrint, in a child process, behind a locked url_fetcher.

WeasyPrint's default fetcher reads local files (``<link rel=attachment href=file:///…>``
copies them into the PDF), follows redirects and talks to any server named by a stylesheet,
an ``@import``, a ``style="…url()"``, an ``@font-face`` or an SVG ``<image>``. Ours serves
only what a :class:`FetchPolicy` lists, from disk, under our own ``arzyab:`` scheme:

- ``arzyab:<root>/<path>`` — a file under one of the policy's roots (our static files, the
  report stylesheet, the Vazirmatn fonts), with an allowed extension, no ``..`` (also not
  percent-encoded), no symlink leading out of the root, and a size cap;
- ``arzyab:evidence/<id>`` — only the evidence photos the policy names (those of the
  evaluation being reported), checked to lie in the evidence directory;
- ``data:`` images of a few kilobytes.

Everything else — ``file:``, ``http(s):``, other schemes, relative URLs, other evaluations'
photos — is refused (WeasyPrint then leaves the resource out and goes on).

Rendering runs in a child process started by a forkserver that has WeasyPrint preloaded
(a fresh interpreter would spend about a second importing it), under an address-space limit
(``RLIMIT_AS``) and a CPU limit; the parent waits at most ``timeout`` seconds, kills the child
after that, and raises :class:`ReportError`. The PDF is written to a temporary file beside the
target and moved into place with ``os.replace``, so a reader never sees half a file.

At most ``slots`` renders run at once on the server, across processes (:mod:`.slots`); a
render that finds none free within ``queue_wait`` seconds raises :class:`RendererBusy`.
:class:`PdfOptions` asks for a PDF/A variant, tagging, embedded files, a page-count guard and
signatures (applied in the child after WeasyPrint has written the PDF/A file).

This module imports nothing from Flask and does not import WeasyPrint itself (the child does).
"""

from __future__ import annotations

import base64
import binascii
import io
import multiprocessing
import os
import re
import secrets
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from app.reports.slots import RendererBusy, render_slot

__all__ = ["Attachment", "FetchPolicy", "PdfOptions", "RenderResult", "RendererBusy",
           "ReportError", "ReportTooLong", "Slots", "render_pdf", "render_pdf_bytes"]

SCHEME = "arzyab:"
BASE_URL = "arzyab:report/"

#: what may be served from a root, by extension, with its media type
MEDIA_TYPES = {
    ".css": "text/css", ".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff",
    ".woff2": "font/woff2", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
}
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif"}
_DATA_URL = re.compile(r"data:([a-z]+/[a-z0-9.+-]+)?((?:;[a-z0-9=.-]+)*?)(;base64)?,(.*)",
                       re.IGNORECASE | re.DOTALL)


class ReportError(Exception):
    """The report could not be rendered (timeout, memory, a renderer failure)."""


class ReportTooLong(ReportError):
    """The report has more pages than the page-count guard allows."""


@dataclass(frozen=True)
class Attachment:
    """A file embedded in the PDF (PDF/A-3 associated file)."""

    name: str
    data: bytes
    description: str = ""
    #: PDF/A-3's AFRelationship: Data, Source, Alternative, Supplement, Unspecified
    relationship: str = "Data"


@dataclass(frozen=True)
class PdfOptions:
    """How the PDF is written. Plain data, handed to the child process."""

    #: a WeasyPrint pdf_variant such as "pdf/a-3b" (None: plain PDF)
    variant: str | None = None
    #: tag the PDF (structure tree) for accessibility
    tags: bool = False
    attachments: tuple[Attachment, ...] = ()
    #: refuse to write a document with more pages than this (None: no guard)
    max_pages: int | None = None
    #: sign with this key (an app.reports.signing.SigningKey), once per signer, in turn
    signing: object | None = None
    signers: tuple = ()


@dataclass(frozen=True)
class Slots:
    """The per-server bound on renders at once (see app.reports.slots)."""

    lock_dir: str
    count: int = 2
    queue_wait: float = 10.0
    retry_after: int = 15


class FetchRefused(ValueError):
    """The locked fetcher will not serve this URL."""


@dataclass(frozen=True)
class FetchPolicy:
    """What the renderer may read. Plain data, so it can be handed to the child process."""

    #: root name → directory, e.g. {"static": ".../app/static", "fonts": ".../vazirmatn/fonts"}
    roots: dict[str, str] = field(default_factory=dict)
    #: "evidence/<id>" → file path: the only photos that may be embedded
    evidence: dict[str, str] = field(default_factory=dict)
    #: the directory every evidence file must lie in
    evidence_dir: str = ""
    max_file_bytes: int = 4 * 1024 * 1024
    max_image_bytes: int = 3 * 1024 * 1024
    max_image_pixels: int = 12_000_000
    max_data_bytes: int = 16 * 1024


@dataclass(frozen=True)
class RenderResult:
    pages: int
    #: URLs the fetcher refused (shortened), for logs and tests
    refused: tuple[str, ...] = ()
    #: CPU seconds the rendering child used (what the render costs, whatever the load)
    cpu_seconds: float = 0.0


# --- the fetcher ---------------------------------------------------------------------------------

def resolve(url: str, policy: FetchPolicy) -> tuple[bytes, str]:
    """(body, media type) for `url` under `policy`, or FetchRefused. Used by the fetcher."""
    if len(url) > policy.max_data_bytes * 2 + 64:
        raise FetchRefused("URL too long")
    if url[:5].lower() == "data:":
        return _data_url(url, policy)
    if not url.startswith(SCHEME):
        raise FetchRefused("scheme not allowed")
    rest = url[len(SCHEME):].split("#", 1)[0]
    if "?" in rest:
        raise FetchRefused("query not allowed")
    name = unquote(rest)
    if "%" in name or "\\" in name or "\x00" in name:
        raise FetchRefused("encoded or odd characters")
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise FetchRefused("not a clean path")
    if parts[0] == "evidence":
        path = _evidence_path(name, policy)
    else:
        path = _root_path(parts, policy)
    media_type = MEDIA_TYPES.get(path.suffix.lower())
    if media_type is None:
        raise FetchRefused("file type not allowed")
    limit = policy.max_image_bytes if media_type in IMAGE_TYPES else policy.max_file_bytes
    if path.stat().st_size > limit:
        raise FetchRefused("file too large")
    body = path.read_bytes()
    if media_type in IMAGE_TYPES:
        _check_image(body, policy)
    return body, media_type


def _root_path(parts: list[str], policy: FetchPolicy) -> Path:
    base = policy.roots.get(parts[0])
    if not base or len(parts) < 2:
        raise FetchRefused("unknown root")
    root = Path(base).resolve()
    try:
        path = root.joinpath(*parts[1:]).resolve(strict=True)
    except (OSError, RuntimeError):
        raise FetchRefused("no such file") from None
    if not path.is_relative_to(root) or not path.is_file():
        raise FetchRefused("outside its root")
    return path


def _evidence_path(name: str, policy: FetchPolicy) -> Path:
    listed = policy.evidence.get(name)
    if not listed or not policy.evidence_dir:
        raise FetchRefused("not a photo of this evaluation")
    root = Path(policy.evidence_dir).resolve()
    try:
        path = Path(listed).resolve(strict=True)
    except (OSError, RuntimeError):
        raise FetchRefused("photo missing") from None
    if not path.is_relative_to(root) or not path.is_file():
        raise FetchRefused("photo outside the evidence directory")
    return path


def _data_url(url: str, policy: FetchPolicy) -> tuple[bytes, str]:
    match = _DATA_URL.fullmatch(url)
    if not match:
        raise FetchRefused("malformed data URL")
    media_type = (match.group(1) or "").lower()
    if media_type not in IMAGE_TYPES:
        raise FetchRefused("data URL type not allowed")
    payload = match.group(4)
    if len(payload) > policy.max_data_bytes * 4 // 3 + 4:
        raise FetchRefused("data URL too large")
    try:
        body = base64.b64decode(payload, validate=True) if match.group(3) else \
            unquote(payload).encode("latin-1")
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise FetchRefused("malformed data URL") from None
    if len(body) > policy.max_data_bytes:
        raise FetchRefused("data URL too large")
    _check_image(body, policy)
    return body, media_type


def _check_image(body: bytes, policy: FetchPolicy) -> None:
    """Refuse what Pillow cannot identify or what would decode to too many pixels."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(body)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise FetchRefused("not an image") from None
    if width * height > policy.max_image_pixels:
        raise FetchRefused("image has too many pixels")


def make_fetcher(policy: FetchPolicy):
    """A WeasyPrint URLFetcher that serves only what `policy` allows (needs WeasyPrint ≥ 63)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LockedFetcher(URLFetcher):
        def __init__(self):
            # no protocol is handed to urllib: every URL is answered by fetch() below
            super().__init__(timeout=1, allowed_protocols=(), allow_redirects=False,
                             fail_on_errors=False)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            try:
                body, media_type = resolve(url, policy)
            except FetchRefused as error:
                self.refused.append(f"{url[:120]} ({error})")
                raise
            except OSError:
                self.refused.append(f"{url[:120]} (unreadable)")
                raise FetchRefused("unreadable") from None
            return URLFetcherResponse(url, body, headers={"Content-Type": media_type})

    return LockedFetcher()


# --- the child process ---------------------------------------------------------------------------

_context_lock = threading.Lock()
_mp_context = None


def _process_context():
    """A forkserver whose server process has WeasyPrint imported once (children fork from it).

    The main module is preloaded too, so that children do not re-run it one by one: like any
    multiprocessing program, a script that renders reports needs the
    ``if __name__ == "__main__":`` guard.
    """
    global _mp_context
    with _context_lock:
        if _mp_context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["__main__", "app.reports._worker"])
            _mp_context = context
        return _mp_context


def render_pdf(html: str, policy: FetchPolicy, target: str | os.PathLike, *,
               timeout: float = 60, memory_mb: int = 1536, options: PdfOptions | None = None,
               slots: Slots | None = None) -> RenderResult:
    """Render `html` into the PDF file `target` (written atomically).

    Raises RendererBusy when no render slot frees up in time, ReportTooLong past the page
    guard, ReportError when the renderer fails, runs out of memory or exceeds `timeout`.
    """
    options = options or PdfOptions()
    if slots is None:
        slots = Slots(lock_dir=os.path.join(tempfile.gettempdir(), "arzyab-render-slots"),
                      count=max(1, os.cpu_count() or 1))
    with render_slot(slots.lock_dir, slots.count, slots.queue_wait, slots.retry_after):
        return _render(html, policy, Path(target), timeout, memory_mb, options)


def _render(html: str, policy: FetchPolicy, target: Path, timeout: float,
            memory_mb: int, options: PdfOptions) -> RenderResult:
    partial = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
    context = _process_context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child_main, name="arzyab-report",
        args=(html, policy, str(partial), int(timeout) + 5, memory_mb, options, sender),
        daemon=True)
    try:
        child.start()
    except BaseException:
        sender.close()
        receiver.close()
        raise
    try:
        sender.close()
        if not receiver.poll(timeout):
            raise ReportError(f"the report took longer than {timeout:g} s to render")
        try:
            outcome = receiver.recv()
        except EOFError:
            child.join(5)
            raise ReportError(f"the renderer stopped (exit code {child.exitcode})") from None
        if not outcome.get("ok"):
            error = ReportTooLong if outcome.get("too_long") else ReportError
            raise error(outcome.get("error") or "the renderer failed")
        os.replace(partial, target)
        return RenderResult(pages=outcome["pages"], refused=tuple(outcome["refused"]),
                            cpu_seconds=outcome.get("cpu", 0.0))
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
        receiver.close()
        partial.unlink(missing_ok=True)


def render_pdf_bytes(html: str, policy: FetchPolicy, **limits) -> tuple[bytes, RenderResult]:
    """Render `html` and return the PDF's bytes (for drafts, which are never stored)."""
    with tempfile.TemporaryDirectory(prefix="arzyab-report-") as directory:
        target = Path(directory) / "report.pdf"
        result = render_pdf(html, policy, target, **limits)
        return target.read_bytes(), result


def _child_main(html, policy, partial, cpu_seconds, memory_mb, options, sender) -> None:
    """In the child: limit ourselves, render, write and fsync the file, report back."""
    import resource

    try:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        from app.reports._worker import PageLimit, write_pdf

        try:
            pages, refused = write_pdf(html, make_fetcher(policy), BASE_URL, partial, options)
        except PageLimit as error:
            sender.send({"ok": False, "too_long": True, "error": str(error)})
            return
        usage = resource.getrusage(resource.RUSAGE_SELF)  # a forked child starts at zero
        sender.send({"ok": True, "pages": pages, "refused": refused,
                     "cpu": usage.ru_utime + usage.ru_stime})
    except MemoryError:
        sender.send({"ok": False, "error": f"the report needs more than {memory_mb} MB"})
    except BaseException as error:  # noqa: BLE001 - everything goes back to the parent
        sender.send({"ok": False, "error": f"{type(error).__name__}: {error}"[:500]})
    finally:
        sender.close()
