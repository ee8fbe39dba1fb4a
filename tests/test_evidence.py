"""Evidence photos: checked by content, re-encoded, served only to those who may see them."""

import io
import struct
import zlib

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import Evaluation, EvaluationCycle, Evidence, Municipality
from tests.helpers import csrf_token, login

SAVE = {"X-Arzyab-Save": "1"}


def _id(app, town, year=1404):
    with app.app_context():
        return db.session.scalar(
            select(Evaluation.id).join(Municipality).join(EvaluationCycle)
            .where(Municipality.name == town, EvaluationCycle.year == year))


def jpeg_with_exif(size=(640, 480)) -> bytes:
    image = Image.new("RGB", size, (30, 120, 90))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_bomb() -> bytes:
    """A tiny PNG that claims 100,000 × 100,000 pixels."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))


def upload(client, eid, data, name="site.jpg", criterion="1.1", key=None):
    form = {"criterion": criterion, "photo": (io.BytesIO(data), name)}
    if key:
        form["key"] = key
    return client.post(f"/evaluations/{eid}/photos", data=form, headers=SAVE,
                       content_type="multipart/form-data")


def test_photo_is_reencoded_without_metadata_and_thumbnailed(client, demo_app):
    login(client, "inspector")
    eid = _id(demo_app, "جعفریه")
    response = upload(client, eid, jpeg_with_exif(), name="عکس سایت.jpg", key="p" * 20)
    assert response.status_code == 200, response.text
    with client.get(response.json["url"]) as photo:
        data = photo.data
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == (640, 480)
    assert b"SecretCam" not in data
    with client.get(response.json["thumb"]) as thumb:
        assert max(Image.open(io.BytesIO(thumb.data)).size) <= 320
    assert response.json["name"] == "عکس سایت.jpg"
    # the page shows it
    assert response.json["thumb"] in client.get(f"/evaluations/{eid}").text
    # a replay with the same key stores nothing new
    assert upload(client, eid, jpeg_with_exif(), key="p" * 20).json["id"] == response.json["id"]
    with demo_app.app_context():
        assert db.session.scalar(select(db.func.count(Evidence.id))) == 1


@pytest.mark.parametrize("data, name", [
    (b"%PDF-1.4 not an image", "x.jpg"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "x.svg"),
    (b"GIF89a" + b"\0" * 50, "x.gif"),
    (png_bomb(), "bomb.png"),
    (b"", "empty.jpg"),
])
def test_non_images_and_bombs_are_refused_cleanly(client, demo_app, data, name):
    login(client, "inspector")
    eid = _id(demo_app, "جعفریه")
    response = upload(client, eid, data, name=name)
    assert response.status_code in (413, 415, 422)
    assert response.json["error"]
    with demo_app.app_context():
        assert db.session.scalar(select(db.func.count(Evidence.id))) == 0


def test_path_in_file_name_is_only_text(client, demo_app):
    login(client, "inspector")
    eid = _id(demo_app, "جعفریه")
    response = upload(client, eid, jpeg_with_exif(), name="../../etc/passwd.jpg")
    assert response.status_code == 200 and response.json["name"] == "passwd.jpg"


def test_unknown_criterion_is_refused(client, demo_app):
    login(client, "inspector")
    response = upload(client, _id(demo_app, "جعفریه"), jpeg_with_exif(), criterion="99.9")
    assert response.status_code == 422


def test_plain_form_upload_needs_csrf(client, demo_app):
    login(client, "inspector")
    eid = _id(demo_app, "جعفریه")
    response = client.post(f"/evaluations/{eid}/photos", content_type="multipart/form-data",
                           data={"criterion": "1.1",
                                 "photo": (io.BytesIO(jpeg_with_exif()), "a.jpg")})
    assert response.status_code == 400
    page = client.get(f"/evaluations/{eid}")
    response = client.post(f"/evaluations/{eid}/photos", content_type="multipart/form-data",
                           data={"criterion": "1.1", "csrf_token": csrf_token(page.text),
                                 "photo": (io.BytesIO(jpeg_with_exif()), "a.jpg")})
    assert response.status_code == 302


def test_photos_of_other_evaluations_are_not_reachable(client, demo_app):
    login(client, "inspector")
    mine = _id(demo_app, "جعفریه")
    photo_id = upload(client, mine, jpeg_with_exif()).json["id"]
    other = _id(demo_app, "دستجرد")
    assert client.get(f"/evaluations/{other}/photos/{photo_id}").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/evaluations/").text)})
    login(client, "author")
    assert client.get(f"/evaluations/{mine}/photos/{photo_id}").status_code == 404
