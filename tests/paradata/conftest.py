"""A town with a centre, a rubric whose waste unit expects 40 minutes on site, an evaluation of
it assigned to the demo inspector and reviewer; photos with real EXIF written by Pillow."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from app.db import writing
from app.extensions import db
from app.models import EvaluationCycle, Municipality, Province, User

SAVE = {"X-Arzyab-Save": "1"}
#: the town centre of the crafted town (near Qom)
CENTRE = (34.6401, 50.8764)
#: Tehran, about 125 km away
FAR = (35.6892, 51.3890)


def rubric_text() -> str:
    text = (Path(__file__).resolve().parents[2] / "rubrics" / "municipal-units.yaml").read_text()
    text, count = re.subn(r'^version: "([^"]+)"', r'version: "\1-paradata"', text, count=1,
                          flags=re.M)
    assert count == 1
    unit_weight = "    weight: {S: 14, M: 12, L: 10}\n"
    assert unit_weight in text
    return text.replace(unit_weight, unit_weight + "    expected_minutes: 40\n", 1)


def make_site(app, name="آزمون‌آباد", centre=CENTRE, record_location=False):
    """A municipality with a centre and an open-cycle evaluation of it (returns ids)."""
    from app.authoring.services import publish_rubric
    from app.evaluations.services import create_evaluation

    with app.app_context(), writing():
        version, _created = publish_rubric(rubric_text())
        province = db.session.scalar(select(Province).where(Province.name == "قم"))
        province.record_location = record_location
        town = Municipality(province=province, name=name, name_key=name, county="قم", grade=2,
                            population=1500, census_year=1395, budget_million_rial=150_000,
                            staff_count=26, area_hectares=120,
                            latitude=centre[0] if centre else None,
                            longitude=centre[1] if centre else None)
        db.session.add(town)
        db.session.flush()
        cycle = db.session.scalar(select(EvaluationCycle).where(EvaluationCycle.year == 1404))
        users = {u.username: u for u in db.session.scalars(select(User))}
        evaluation = create_evaluation(town, cycle, version, inspectors=[users["inspector"]],
                                       reviewer=users["reviewer"])
        return SimpleNamespace(eid=evaluation.id, mid=town.id)


@pytest.fixture
def site(demo_app):
    return make_site(demo_app)


def ms(moment: dt.datetime) -> int:
    """A naive UTC time as the form's device clock sends it (ms since 1970)."""
    return int(moment.replace(tzinfo=dt.UTC).timestamp() * 1000)


def photo(taken: dt.datetime | None = None, place: tuple[float, float] | None = None,
          colour=(30, 120, 90), size=(640, 480), pattern=0, offset="+03:30") -> bytes:
    """A JPEG with real EXIF: capture time (local, with its offset) and a GPS position."""
    image = Image.new("RGB", size, colour)
    # a pattern makes pictures differ for the perceptual hash (a flat colour hashes alike)
    for x in range(0, size[0], 40):
        for y in range(0, size[1], 40):
            if (x // 40 * (pattern + 1) + y // 40 * (pattern + 3)) % (pattern + 2) == 0:
                image.paste((255 - colour[0], 200, 40 + pattern * 20), (x, y, x + 40, y + 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    if taken is not None:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        sub[ExifTags.Base.DateTimeOriginal] = taken.strftime("%Y:%m:%d %H:%M:%S")
        if offset:
            sub[ExifTags.Base.OffsetTimeOriginal] = offset
    if place is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)

        def dms(value):
            value = abs(value)
            d = int(value)
            m = int((value - d) * 60)
            return (float(d), float(m), round(((value - d) * 60 - m) * 60, 4))

        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if place[0] >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = dms(place[0])
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if place[1] >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = dms(place[1])
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def upload(client, eid, data, criterion="1.1", name="site.jpg", exif=None):
    form = {"criterion": criterion, "photo": (io.BytesIO(data), name)}
    if exif is not None:
        form["exif"] = (io.BytesIO(exif), "exif.bin")
    response = client.post(f"/evaluations/{eid}/photos", data=form, headers=SAVE,
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.text
    return response.json


def save(client, eid, changes, paradata=None, key=None, device="device-0001"):
    body = {"changes": changes, "device": device}
    if key:
        body["key"] = key
    if paradata is not None:
        body["paradata"] = paradata
    return client.post(f"/evaluations/{eid}/answers", json=body, headers=SAVE)
