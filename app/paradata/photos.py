"""What a photo said of itself: capture time and GPS from its EXIF, and a perceptual hash.

Read from the :class:`app.evidence.services.Upload` (the decoded upload, EXIF still at hand)
before the stored JPEG is made from pixels alone; kept on the evidence row, never served with
the photo and never put in a report. Unreadable or absent EXIF leaves the facts empty.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import imagehash
from PIL import ExifTags, Image

from app.i18n import LOCAL_TIMEZONE
from app.paradata import geo

_EXIF, _GPS = ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo
B = ExifTags.Base
G = ExifTags.GPS


@dataclass(frozen=True)
class PhotoFacts:
    #: capture time in UTC (naive), None when the file says nothing usable
    taken_at: dt.datetime | None
    latitude: float | None
    longitude: float | None
    #: 64-bit perceptual hash of the upright pixels, as 16 hex digits
    phash: str


def read_facts(upload, exif_block: bytes | None = None) -> PhotoFacts:
    """What the upload says of itself; when it says nothing (a photo the tablet made smaller
    loses its EXIF), what the original's EXIF block sent beside it says."""
    taken = _taken_at(upload.exif)
    lat, lon = _position(upload.exif)
    if exif_block and (taken is None or lat is None):
        side = _exif_from(exif_block)
        if side is not None:
            taken = taken or _taken_at(side)
            if lat is None:
                lat, lon = _position(side)
    return PhotoFacts(taken, lat, lon, str(imagehash.phash(upload.image)))


def _exif_from(block: bytes):
    """An EXIF block («Exif\\0\\0» and a TIFF structure) as Pillow reads it; None if not."""
    exif = Image.Exif()
    try:
        exif.load(block if block.startswith(b"Exif\x00\x00") else b"Exif\x00\x00" + block)
    except Exception:  # noqa: BLE001 - any malformed block is simply not read
        return None
    return exif


def keep(evidence, upload, exif_block: bytes | None = None) -> None:
    """Put what the upload said on its evidence row (before the row is flushed)."""
    facts = read_facts(upload, exif_block)
    evidence.taken_at, evidence.phash = facts.taken_at, facts.phash
    evidence.latitude, evidence.longitude = facts.latitude, facts.longitude


def _ifd(exif, tag) -> dict:
    try:
        return dict(exif.get_ifd(tag))
    except (KeyError, ValueError, TypeError, SyntaxError, OSError):
        return {}


def _taken_at(exif) -> dt.datetime | None:
    sub = _ifd(exif, _EXIF)
    text = sub.get(B.DateTimeOriginal) or sub.get(B.DateTimeDigitized) or exif.get(B.DateTime)
    if not isinstance(text, str):
        return None
    try:
        local = dt.datetime.strptime(text.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = sub.get(B.OffsetTimeOriginal) or sub.get(B.OffsetTime)
    zone = _offset(offset) or LOCAL_TIMEZONE  # a camera without a zone: Iran's time
    return local.replace(tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)


def _offset(text) -> dt.tzinfo | None:
    """«+03:30» as a fixed offset (cameras that know their zone write it)."""
    if not isinstance(text, str) or len(text.strip()) != 6:
        return None
    text = text.strip()
    try:
        sign = {"+": 1, "-": -1}[text[0]]
        hours, minutes = int(text[1:3]), int(text[4:6])
    except (KeyError, ValueError):
        return None
    if hours > 14 or minutes > 59:
        return None
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def _degrees(value) -> float | None:
    try:
        d, m, s = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = d + m / 60 + s / 3600
    return result if math.isfinite(result) else None


def _position(exif) -> tuple[float | None, float | None]:
    gps = _ifd(exif, _GPS)
    lat, lon = _degrees(gps.get(G.GPSLatitude)), _degrees(gps.get(G.GPSLongitude))
    if lat is None or lon is None:
        return None, None
    if str(gps.get(G.GPSLatitudeRef, "N")).upper().startswith("S"):
        lat = -lat
    if str(gps.get(G.GPSLongitudeRef, "E")).upper().startswith("W"):
        lon = -lon
    if not geo.valid(lat, lon) or (lat == 0 and lon == 0):  # 0,0: a camera without a fix
        return None, None
    return round(lat, 6), round(lon, 6)


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex hashes of the same length."""
    return bin(int(a, 16) ^ int(b, 16)).count("1")
