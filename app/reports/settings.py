"""What every report render takes from this server's configuration: the locale reports are
written in, the folders they are kept in, what the renderer may fetch, its limits and render
slots, and the log line for what it refused.

The report use cases (:mod:`app.reports.services`), the finals (:mod:`app.reports.finals`)
and the batch (:mod:`app.reports.batch`) all render with these; this module imports none of
them.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import current_app
from flask_babel import force_locale

from app.config import ROOT
from app.models import Evaluation
from app.reports.context import evidence_files
from app.reports.render import FetchPolicy, RenderResult, Slots

log = logging.getLogger(__name__)

#: reports are official Persian documents, whatever the reader's interface language
REPORT_LOCALE = "fa"
TEMPLATES_DIR = ROOT / "templates" / "reports"


def report_locale():
    return force_locale(REPORT_LOCALE)


def reports_dir() -> Path:
    path = Path(current_app.config["DATA_DIR"]) / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def drafts_dir() -> Path:
    path = Path(current_app.config["DATA_DIR"]) / "cache" / "drafts"
    path.mkdir(parents=True, exist_ok=True)
    return path


def fetch_policy(evaluation: Evaluation | None = None) -> FetchPolicy:
    """What the renderer may read: our report stylesheet, static files and fonts, and the
    evidence thumbnails of `evaluation` (none for other reports)."""
    config = current_app.config
    return FetchPolicy(
        roots={"reports": str(TEMPLATES_DIR), "static": str(current_app.static_folder),
               "fonts": str(config["FONTS_DIR"])},
        evidence=evidence_files(evaluation) if evaluation is not None else {},
        evidence_dir=str(Path(config["DATA_DIR"]) / "evidence"))


def limits() -> dict:
    config = current_app.config
    return {"timeout": config["REPORT_TIMEOUT"], "memory_mb": config["REPORT_MEMORY_MB"]}


def slots() -> Slots:
    """This server's render slots (see app.reports.slots)."""
    config = current_app.config
    lock_dir = config.get("REPORT_LOCK_DIR") or str(Path(current_app.instance_path) / "locks")
    return Slots(lock_dir=lock_dir, count=config["REPORT_MAX_RENDERS"],
                 queue_wait=config["REPORT_QUEUE_SECONDS"],
                 retry_after=config["REPORT_RETRY_AFTER"])


def log_refused(evaluation_id: int | str, result: RenderResult) -> None:
    if result.refused:
        log.warning("report %s: the renderer refused %s", evaluation_id,
                    "; ".join(result.refused))
