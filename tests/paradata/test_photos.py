"""What a photo says of itself: capture time and GPS read from its real EXIF (written here by
Pillow) before the stored photo is made from pixels alone; kept privately (never served, never
in the stored files); shown to reviewers as time and distance from the town centre."""

import datetime as dt
import io

from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import Evidence
from tests.helpers import login
from tests.paradata.conftest import CENTRE, photo, upload

TAKEN = dt.datetime(2026, 11, 3, 10, 40)  # Tehran time as the camera wrote it: ۱۴۰۵/۰۸/۱۲


def near(km_north: float) -> tuple[float, float]:
    return (CENTRE[0] + km_north / 111.2, CENTRE[1])


def test_exif_time_and_place_are_kept_privately_and_the_files_carry_none(client, demo_app,
                                                                         site):
    login(client, "inspector")
    shot = upload(client, site.eid, photo(TAKEN, near(0.6)))
    with demo_app.app_context():
        evidence = db.session.get(Evidence, shot["id"])
        # +03:30 written by the camera: 10:40 in Tehran is 07:10 UTC
        assert evidence.taken_at == dt.datetime(2026, 11, 3, 7, 10)
        assert abs(evidence.latitude - near(0.6)[0]) < 1e-5
        assert abs(evidence.longitude - CENTRE[1]) < 1e-5
        assert len(evidence.phash) == 16
    # what the server sends about the photo says nothing of time or place
    assert not {"latitude", "longitude", "taken_at", "phash"} & set(shot)
    for url in (shot["url"], shot["thumb"]):
        with client.get(url) as response:
            data = response.data
        stored = Image.open(io.BytesIO(data))
        assert not stored.getexif(), url
        assert b"SecretCam" not in data and b"Exif" not in data and b"GPS" not in data
    # the reviewer reads it: «taken ۱۴۰۵/۰۸/۱۲ ۱۰:۴۰, 0.6 km from the town centre»
    login(client, "reviewer")
    page = client.get(f"/evaluations/{site.eid}").text
    assert "۱۴۰۵/۰۸/۱۲ ۱۰:۴۰" in page
    assert "۰٫۶" in page


def test_a_camera_without_its_zone_is_read_as_iran_time(client, demo_app, site):
    login(client, "inspector")
    shot = upload(client, site.eid, photo(TAKEN, None, offset=None))
    with demo_app.app_context():
        evidence = db.session.get(Evidence, shot["id"])
        assert evidence.taken_at == dt.datetime(2026, 11, 3, 7, 10)
        assert evidence.latitude is None and evidence.longitude is None


def test_the_exif_block_sent_beside_a_photo_made_smaller_is_read(client, demo_app, site):
    """The tablet makes a large photo smaller (which drops its EXIF) and sends the original's
    EXIF block beside it: the server reads that block and stores nothing of it."""
    original = photo(TAKEN, near(2.0))
    with Image.open(io.BytesIO(original)) as image:
        block = image.info["exif"]
        plain = io.BytesIO()
        image.convert("RGB").save(plain, "JPEG")  # pixels only, as the tablet's canvas makes
    login(client, "inspector")
    shot = upload(client, site.eid, plain.getvalue(), exif=block)
    with demo_app.app_context():
        evidence = db.session.get(Evidence, shot["id"])
        assert evidence.taken_at == dt.datetime(2026, 11, 3, 7, 10)
        assert abs(evidence.latitude - near(2.0)[0]) < 1e-5
    with client.get(shot["url"]) as response:
        assert not Image.open(io.BytesIO(response.data)).getexif()
    # a block that is not EXIF is ignored, the photo stored all the same
    other = upload(client, site.eid, plain.getvalue(), exif=b"\x00garbage" * 10)
    with demo_app.app_context():
        assert db.session.get(Evidence, other["id"]).taken_at is None


def test_a_photo_without_exif_says_so_to_the_reviewer(client, demo_app, site):
    login(client, "inspector")
    image = Image.new("RGB", (200, 150), (10, 20, 30))
    out = io.BytesIO()
    image.save(out, "PNG")
    upload(client, site.eid, out.getvalue(), name="scan.png")
    login(client, "reviewer")
    page = client.get(f"/evaluations/{site.eid}").text
    with demo_app.app_context():
        assert db.session.scalar(select(Evidence.taken_at)) is None
    assert 'class="photo-facts"' in page


def test_the_report_says_nothing_of_when_and_where_photos_were_taken(client, demo_app, site):
    login(client, "inspector")
    upload(client, site.eid, photo(TAKEN, near(0.6)))
    from app.models import Evaluation
    from app.reports import services as reports

    with demo_app.test_request_context():
        html, context = reports.evaluation_html(db.session.get(Evaluation, site.eid))
    assert "۱۴۰۵/۰۸/۱۲ ۱۰:۴۰" not in html and "کیلومتر" not in html
    assert "latitude" not in repr(context) and "taken_at" not in repr(context)
