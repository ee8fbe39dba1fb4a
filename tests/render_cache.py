"""The same report rendered once per test worker: WeasyPrint's output for an input it has
already rendered in this process is that earlier output again.

Dozens of tests render the same documents from the same template database (the Dastjerd
draft, the province's comparison, the demo's finals): the same HTML, the same fetch policy,
the same options and limits. Rendering one of them again in a later test tells nothing new
and costs seconds of CPU, so ``app.reports.render._render`` — the part that runs inside a
render slot and starts WeasyPrint's child process — is wrapped here: the first render of an
input runs for real and its PDF is kept; a later render of exactly that input (every byte of
the HTML, of the files the policy lets it read and of the options) gets a copy of that file,
written in place as the real one would be, and the same ``RenderResult``.

What makes two inputs the same is everything the child process receives; what is read from
paths (evidence photos) counts by its content, so a test's own directory does not make a
render new, and a changed photo does. Only successful renders are kept: a timeout, a memory
limit or a page guard always runs for real. Signed renders are never reused: a signature
carries its time, so signing the same document twice gives two different files, and tests
show exactly that (a final rendered again is not the issued file).

Everything above ``_render`` is untouched: the app's own decisions (draft memory, stored
finals, render slots, the page guard's message) run as ever. Tests about the renderer's
process and its slots (renders that must take time, renders that must overlap) opt out with
``@pytest.mark.real_renders``; so does a whole run with ``ARZYAB_TEST_REAL_RENDERS=1``.

The workers of one session share what they render (``shared_dir``, set by tests/conftest.py
to a directory of the session's own): a PDF one worker rendered is read by the other from
there instead of rendered again, and while one worker renders an input the other, needing the
same one, waits for it (a lock per input, ``fcntl.flock``) rather than rendering it beside it.
With ``ARZYAB_TEST_RENDER_CACHE=DIR`` that directory is ``DIR`` instead: ``.ci/run`` gives its
two halves one (made at its start, removed at its end), so that the PostgreSQL half reads the
renders of the SQLite half's identical inputs. Never point it at a directory kept across
changes of the code or the machine: the key holds the renderer's input, not the renderer.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import random
import threading
from contextlib import contextmanager
from pathlib import Path

#: kept PDFs, at most this many bytes in all (later ones are rendered, not kept)
MAX_BYTES = 256 * 1024 * 1024

_lock = threading.Lock()
_kept: dict[str, tuple[bytes, object]] = {}
_size = 0
_real = None
#: the directory the session's workers share renders in (None: this process only)
shared_dir: Path | None = None
#: False while a test marked real_renders runs
enabled = True
stats = {"hits": 0, "shared_hits": 0, "misses": 0, "signed": 0, "uncached": 0,
         "cpu_rendered": 0.0, "cpu_saved": 0.0}


def _digest_file(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as error:
        return f"unreadable:{type(error).__name__}"


def _policy_key(policy) -> tuple:
    base = policy.evidence_dir
    evidence = tuple(sorted(
        (name, os.path.relpath(path, base) if base else path, os.path.islink(path),
         _digest_file(path))
        for name, path in policy.evidence.items()))
    return (tuple(sorted(policy.roots.items())), evidence, policy.max_file_bytes,
            policy.max_image_bytes, policy.max_image_pixels, policy.max_data_bytes)


def _options_key(options) -> tuple:
    fields = {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}
    return tuple(sorted(fields.items(), key=lambda item: item[0]))


def _key(html, policy, timeout, memory_mb, options) -> str:
    parts = (html, _policy_key(policy), timeout, memory_mb, _options_key(options))
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def _write(target: Path, data: bytes) -> None:
    """`data` at `target`, written in place as the renderer writes its file."""
    partial = target.with_name(f".{target.name}.cached.part")
    partial.write_bytes(data)
    os.replace(partial, target)


def _keep(key: str, data: bytes, result) -> None:
    global _size
    with _lock:
        if key not in _kept and _size + len(data) <= MAX_BYTES:
            _kept[key] = (data, result)
            _size += len(data)


@contextmanager
def _input_lock(key: str):
    """Held while one process of the session renders (or reads) the input `key`."""
    with open(shared_dir / f"{key}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_shared(key: str):
    """(PDF bytes, RenderResult) another process of the session kept for `key`, or None."""
    from app.reports.render import RenderResult

    try:
        meta = json.loads((shared_dir / f"{key}.json").read_text(encoding="utf-8"))
        data = (shared_dir / f"{key}.pdf").read_bytes()
    except (OSError, ValueError):
        return None
    return data, RenderResult(pages=meta["pages"], refused=tuple(meta["refused"]),
                              cpu_seconds=meta["cpu_seconds"])


def _write_shared(key: str, data: bytes, result) -> None:
    """The PDF, then its result: the result file written last says the entry is whole."""
    for suffix, body in (("pdf", data), ("json", json.dumps({
            "pages": result.pages, "refused": list(result.refused),
            "cpu_seconds": result.cpu_seconds}).encode("utf-8"))):
        partial = shared_dir / f".{key}.{suffix}.{os.getpid()}.part"
        partial.write_bytes(body)
        os.replace(partial, shared_dir / f"{key}.{suffix}")


def _render(html, policy, target: Path, timeout, memory_mb, options):
    if not enabled or options.signing is not None:
        result = _real(html, policy, target, timeout, memory_mb, options)
        stats["signed" if options.signing is not None else "uncached"] += 1
        stats["cpu_rendered"] += result.cpu_seconds
        return result
    key = _key(html, policy, timeout, memory_mb, options)
    kept = _kept.get(key)
    if kept is not None:
        data, result = kept
        _write(target, data)
        stats["hits"] += 1
        stats["cpu_saved"] += result.cpu_seconds
        return result
    if shared_dir is None:
        result = _real(html, policy, target, timeout, memory_mb, options)
        data = target.read_bytes()
    else:
        with _input_lock(key):
            found = _read_shared(key)
            if found is not None:
                data, result = found
                _write(target, data)
                _keep(key, data, result)
                stats["shared_hits"] += 1
                stats["cpu_saved"] += result.cpu_seconds
                return result
            result = _real(html, policy, target, timeout, memory_mb, options)
            data = target.read_bytes()
            _write_shared(key, data, result)
    stats["misses"] += 1
    stats["cpu_rendered"] += result.cpu_seconds
    _keep(key, data, result)
    return result


#: the verification codes of finals, drawn afresh from the same seed by every test
_codes = random.Random()
_new_code = None  # the app's own, drawing from `_codes` instead of `secrets`


def _repeatable_code() -> str:
    return _new_code(_codes.choice)


def new_test() -> None:
    """A test begins: its finals get the same codes, in turn, as every other test's (a code
    is printed on every page of a final, so a random one made each final a render of its own;
    the app still draws again a code its database already holds)."""
    _codes.seed(0)


def install() -> None:
    """Wrap the renderer of this process (once); the finals' codes repeat from test to test."""
    global _real, _new_code
    from app.reports import finals, render

    if _real is None and not os.environ.get("ARZYAB_TEST_REAL_RENDERS"):
        _real = render._render
        render._render = _render
        _new_code = finals.new_code
        finals.new_code = _repeatable_code
