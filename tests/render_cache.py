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
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import threading
from pathlib import Path

#: kept PDFs, at most this many bytes in all (later ones are rendered, not kept)
MAX_BYTES = 256 * 1024 * 1024

_lock = threading.Lock()
_kept: dict[str, tuple[bytes, object]] = {}
_size = 0
_real = None
#: False while a test marked real_renders runs
enabled = True
stats = {"hits": 0, "misses": 0}


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


def _render(html, policy, target: Path, timeout, memory_mb, options):
    global _size
    if not enabled or options.signing is not None:
        return _real(html, policy, target, timeout, memory_mb, options)
    key = _key(html, policy, timeout, memory_mb, options)
    kept = _kept.get(key)
    if kept is not None:
        data, result = kept
        partial = target.with_name(f".{target.name}.cached.part")
        partial.write_bytes(data)
        os.replace(partial, target)
        stats["hits"] += 1
        return result
    result = _real(html, policy, target, timeout, memory_mb, options)
    stats["misses"] += 1
    data = target.read_bytes()
    with _lock:
        if key not in _kept and _size + len(data) <= MAX_BYTES:
            _kept[key] = (data, result)
            _size += len(data)
    return result


def install() -> None:
    """Wrap the renderer of this process (once)."""
    global _real
    from app.reports import render

    if _real is None and not os.environ.get("ARZYAB_TEST_REAL_RENDERS"):
        _real = render._render
        render._render = _render
