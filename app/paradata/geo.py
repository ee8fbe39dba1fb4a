"""Distances on the Earth, and the checks of a position (WGS84 degrees)."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088


def valid(latitude, longitude) -> bool:
    """Both numbers, finite, in range."""
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return False
    return (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90
            and -180 <= lon <= 180)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points, in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def town_centre(municipality) -> tuple[float, float] | None:
    if municipality is None or not valid(municipality.latitude, municipality.longitude):
        return None
    return (municipality.latitude, municipality.longitude)
