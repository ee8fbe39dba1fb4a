"""The form's paradata: cleaned as it arrives, kept append-only, summed up per evaluation.

The form (app/static/js/paradata.js) sends what it saw since its last report with every batch
of answers and once at submission::

    {"device_time": ms, "visit": {"start": ms, "end": ms},
     "criteria": {"1.2": {"first": ms, "last": ms, "changes": 3}},
     "units": {"waste": seconds active},
     "locations": [{"moment": "start" | "submit", "lat", "lon", "accuracy": m, "at": ms}],
     "location_status": "granted" | "denied" | "unavailable" | "off"}

(ms: the device's clock, milliseconds since 1970 UTC). Recording is quiet: what cannot be
read is left out, never refused, and never stands in the way of the answers it came with.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import insert, select

from app.extensions import db
from app.models import ParadataRecord
from app.models._types import utcnow
from app.paradata import geo

MAX_CRITERIA, MAX_UNITS, MAX_LOCATIONS, MAX_ID = 500, 100, 4, 50
MAX_CHANGES, MAX_UNIT_SECONDS = 10_000, 24 * 3600
LOCATION_STATUSES = ("granted", "denied", "unavailable", "off")
#: device clocks before or after these are not clocks
_EARLIEST, _LATEST = dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1)


def _time(value) -> str | None:
    """A device time in ms as ISO UTC text, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    try:
        moment = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=value)
    except OverflowError:
        return None
    if not _EARLIEST <= moment < _LATEST:
        return None
    return moment.replace(microsecond=0).isoformat()


def _count(value, limit: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return int(value) if 0 <= value <= limit else None


def _ident(value) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= MAX_ID else None


def clean(payload) -> dict:
    """What can be read of a report from the form, bounded; {} when nothing can."""
    if not isinstance(payload, dict):
        return {}
    out: dict = {}
    visit = payload.get("visit")
    if isinstance(visit, dict):
        seen = {k: _time(visit.get(k)) for k in ("start", "end")}
        if any(seen.values()):
            out["visit"] = seen
    criteria = payload.get("criteria")
    if isinstance(criteria, dict):
        kept = {}
        for cid, entry in list(criteria.items())[:MAX_CRITERIA]:
            if _ident(cid) and isinstance(entry, dict):
                changes = _count(entry.get("changes"), MAX_CHANGES)
                kept[cid] = {"first": _time(entry.get("first")), "last": _time(entry.get("last")),
                             "changes": changes or 0}
        if kept:
            out["criteria"] = kept
    units = payload.get("units")
    if isinstance(units, dict):
        kept = {uid: seconds for uid, seconds in
                ((uid, _count(s, MAX_UNIT_SECONDS)) for uid, s in list(units.items())[:MAX_UNITS])
                if _ident(uid) and seconds}
        if kept:
            out["units"] = kept
    locations = payload.get("locations")
    if isinstance(locations, list):
        kept = []
        for place in locations[:MAX_LOCATIONS]:
            if not isinstance(place, dict) or place.get("moment") not in ("start", "submit"):
                continue
            lat, lon = place.get("lat"), place.get("lon")
            if isinstance(lat, bool) or isinstance(lon, bool) or not geo.valid(lat, lon):
                continue
            accuracy = _count(place.get("accuracy"), 1_000_000)
            kept.append({"moment": place["moment"], "lat": round(float(lat), 6),
                         "lon": round(float(lon), 6), "accuracy": accuracy,
                         "at": _time(place.get("at"))})
        if kept:
            out["locations"] = kept
    if payload.get("location_status") in LOCATION_STATUSES:
        out["location_status"] = payload["location_status"]
    return out


def _columns(evaluation, payload, *, user, device, kind, batch_key, user_agent) -> dict | None:
    """The columns of one report's row (None when nothing in it can be read)."""
    data = clean(payload)
    if not data:
        return None
    device_ms = payload.get("device_time") if isinstance(payload, dict) else None
    device_time = _time(device_ms)
    return dict(
        evaluation_id=evaluation.id, user_id=getattr(user, "id", None),
        device=device if isinstance(device, str) and len(device) <= 64 else None,
        batch_key=batch_key, kind=kind, received_at=utcnow(),
        device_time=dt.datetime.fromisoformat(device_time) if device_time else None,
        data=data, user_agent=(user_agent or "")[:200])


def record(evaluation, payload, *, user, device: str | None, kind: str = "batch",
           batch_key: str | None = None, user_agent: str = "",
           connection=None) -> ParadataRecord | None:
    """Keep one report from the form (in the caller's transaction); a report with nothing
    readable records nothing. The caller records a batch only when it was not a replay (the
    answers' save key says so), so a batch key is recorded once (it is unique, too).
    `connection`: the transaction's, when the caller holds it: the row is inserted by one
    plain statement and nothing is returned (the autosave's way: no object built)."""
    columns = _columns(evaluation, payload, user=user, device=device, kind=kind,
                       batch_key=batch_key, user_agent=user_agent)
    if columns is None:
        return None
    if connection is not None:
        connection.execute(_INSERT, [columns])
        return None
    row = ParadataRecord(**columns)
    db.session.add(row)
    db.session.flush()
    return row


_INSERT = insert(ParadataRecord.__table__)


def records_of(evaluation) -> list[ParadataRecord]:
    return list(db.session.scalars(select(ParadataRecord).where(
        ParadataRecord.evaluation_id == evaluation.id).order_by(ParadataRecord.id)))


def _parse(text):
    return dt.datetime.fromisoformat(text) if text else None


def summary(evaluation, records: list[ParadataRecord] | None = None) -> dict:
    """Everything recorded about the visit, summed up: per criterion the first and last change
    on the device and how often; the visit's start and end as the form saw them; active
    seconds per unit; the devices (with the largest gap between their clock and ours); the
    places recorded."""
    records = records_of(evaluation) if records is None else records
    criteria: dict[str, dict] = {}
    units: dict[str, int] = {}
    devices: dict[str, dict] = {}
    locations: list[dict] = []
    statuses: list[str] = []
    start = end = None
    for row in records:
        data = row.data or {}
        visit = data.get("visit") or {}
        for key, pick in (("start", min), ("end", max)):
            moment = _parse(visit.get(key))
            if moment is not None:
                if key == "start":
                    start = moment if start is None else pick(start, moment)
                else:
                    end = moment if end is None else pick(end, moment)
        for cid, entry in (data.get("criteria") or {}).items():
            seen = criteria.setdefault(cid, {"first": None, "last": None, "changes": 0})
            first, last = _parse(entry.get("first")), _parse(entry.get("last"))
            if first and (seen["first"] is None or first < seen["first"]):
                seen["first"] = first
            if last and (seen["last"] is None or last > seen["last"]):
                seen["last"] = last
            seen["changes"] += entry.get("changes") or 0
        for uid, seconds in (data.get("units") or {}).items():
            units[uid] = units.get(uid, 0) + int(seconds)
        key = row.device or "?"
        device = devices.setdefault(key, {"device": row.device, "user_agent": row.user_agent,
                                          "first": row.received_at, "last": row.received_at,
                                          "reports": 0, "clock_gap_s": 0})
        device["last"], device["reports"] = row.received_at, device["reports"] + 1
        if row.device_time is not None:
            gap = abs((row.received_at - row.device_time).total_seconds())
            device["clock_gap_s"] = max(device["clock_gap_s"], int(gap))
        for place in data.get("locations") or []:
            locations.append({**place, "received_at": row.received_at, "kind": row.kind})
        if data.get("location_status"):
            statuses.append(data["location_status"])
    if end is None and start is not None:
        end = max((c["last"] for c in criteria.values() if c["last"]), default=start)
    return {"records": len(records), "criteria": criteria, "units": units,
            "visit": {"start": start, "end": end}, "devices": list(devices.values()),
            "locations": locations, "location_statuses": sorted(set(statuses))}
