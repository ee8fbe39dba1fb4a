"""Findings: a photo upload with a reused idempotency key but another image or criterion
answered 200 with the first photo (the second dropped silently; answers give 409); JPEG
comment (COM) segments survived re-encoding, so a JPEG/HTML polyglot's HTML stayed inside the
stored photo and its thumbnail. And the evidence use cases now load, check access and state,
and write in one transaction."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from PIL import Image, ImageCms
from sqlalchemy import func, select, text

from app.auth.sessions import log_in_client
from app.db import writing
from app.evaluations.services import ServiceError
from app.evidence import services
from app.extensions import db
from app.models import Evaluation, Evidence, User
from tests.security.conftest import SAVE, evaluation_id, is_persian, token_of

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
ALLOWED_MARKERS = {0xD8, 0xE0, 0xDB, 0xC0, 0xC2, 0xC4, 0xDD, 0xDA, 0xD9}  # SOI APP0 DQT SOF DHT…


def photo(colour=(30, 120, 90), size=(640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def polyglot() -> bytes:
    """A real JPEG carrying HTML in a COM segment right after SOI (where a browser sniffing
    HTML finds it), plus EXIF with a GPS position, XMP, an ICC profile and HTML after EOI."""
    image = Image.new("RGB", (800, 600), (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif.get_ifd(0x8825)[2] = (34.0, 38.0, 24.0)  # GPSLatitude: Qom
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, icc_profile=srgb, comment=b"camera " + HTML,
               xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>" + HTML + b"</x:xmpmeta>")
    data = out.getvalue()
    com = b"\xff\xfe" + struct.pack(">H", len(HTML) + 2) + HTML
    return data[:2] + com + data[2:] + HTML


def markers(jpeg: bytes) -> list[int]:
    """The markers of a JPEG up to its image data, and whether anything follows EOI."""
    assert jpeg[:2] == b"\xff\xd8"
    found, at = [0xD8], 2
    while at < len(jpeg):
        assert jpeg[at] == 0xFF, f"not a marker at {at}"
        marker = jpeg[at + 1]
        found.append(marker)
        length = struct.unpack(">H", jpeg[at + 2:at + 4])[0]
        if marker == 0xDA:  # start of scan: entropy-coded data to EOI
            assert jpeg.endswith(b"\xff\xd9"), "bytes after the end of the image"
            return found
        at += 2 + length
    raise AssertionError("no image data")


def test_the_polyglot_is_a_polyglot():
    data = polyglot()
    assert HTML in data[:200] and {0xFE, 0xE1, 0xE2} <= set(markers_loose(data))
    assert Image.open(io.BytesIO(data)).size == (800, 600)


def markers_loose(jpeg: bytes) -> list[int]:
    found, at = [], 2
    while jpeg[at] == 0xFF and jpeg[at + 1] != 0xDA:
        found.append(jpeg[at + 1])
        at += 2 + struct.unpack(">H", jpeg[at + 2:at + 4])[0]
    return found


def _upload(client, eid, data, criterion="1.1", key=None, name="site.jpg"):
    form = {"criterion": criterion, "photo": (io.BytesIO(data), name)}
    if key:
        form["key"] = key
    return client.post(f"/evaluations/{eid}/photos", data=form, headers=SAVE,
                       content_type="multipart/form-data")


@pytest.fixture
def inspector(new_client):
    client = new_client()
    log_in_client(client, "inspector")
    return client


def test_stored_photos_and_thumbnails_hold_pixels_only(inspector, demo_app):
    eid = evaluation_id(demo_app)
    response = _upload(inspector, eid, polyglot())
    assert response.status_code == 200, response.text
    for url in (response.json["url"], response.json["thumb"]):
        with inspector.get(url) as served:
            data = served.data
        assert set(markers(data)) <= ALLOWED_MARKERS, sorted(hex(m) for m in markers(data))
        for hidden in (b"<html", b"script", b"SecretCam", b"Exif", b"ICC_PROFILE",
                       b"http://ns.adobe.com/xap", b"xmpmeta"):
            assert hidden not in data, hidden
        image = Image.open(io.BytesIO(data))
        assert not (set(image.info) & {"comment", "exif", "icc_profile", "xmp"})
        assert not image.getexif()
        red, green, blue = image.convert("RGB").getpixel((10, 10))
        assert red > 180 and green < 70 and blue < 70  # the same picture
    with demo_app.app_context():
        stored = db.session.scalar(select(Evidence))
        assert (stored.width, stored.height) == (800, 600)


def test_reading_keeps_what_the_file_said_for_later_but_reencoding_drops_it():
    upload = services.read_upload(polyglot(), 40_000_000)
    assert upload.format == "JPEG" and upload.exif[0x010F] == "SecretCam"
    assert upload.exif.get_ifd(0x8825)[2] == (34.0, 38.0, 24.0)
    assert upload.icc_profile
    photo_bytes, thumb_bytes = services.reencode(upload)
    for data in (photo_bytes, thumb_bytes):
        assert b"SecretCam" not in data and HTML not in data


def test_transparent_pngs_and_odd_profiles_become_plain_photos():
    png = io.BytesIO()
    Image.new("RGBA", (50, 50), (0, 0, 0, 0)).save(png, "PNG")
    upload = services.read_upload(png.getvalue(), 40_000_000)
    assert upload.image.mode == "RGB" and upload.image.getpixel((1, 1)) == (255, 255, 255)
    broken_profile = io.BytesIO()
    Image.new("RGB", (40, 40), (10, 200, 10)).save(broken_profile, "JPEG",
                                                   icc_profile=b"not a profile" * 20)
    photo_bytes, _thumb = services.reencode(services.read_upload(broken_profile.getvalue(),
                                                                 40_000_000))
    assert b"not a profile" not in photo_bytes


# --- replayed keys -----------------------------------------------------------------------------

def _count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Evidence.id)))


def test_a_reused_key_with_another_image_is_a_409(inspector, demo_app):
    eid = evaluation_id(demo_app)
    first = _upload(inspector, eid, photo(), key="k" * 20)
    assert first.status_code == 200
    again = _upload(inspector, eid, photo(), key="k" * 20)  # a retry after a lost answer
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    other = _upload(inspector, eid, photo(colour=(250, 250, 0)), key="k" * 20)
    assert other.status_code == 409 and is_persian(other.json["error"])
    elsewhere = _upload(inspector, eid, photo(), criterion="1.3", key="k" * 20)
    assert elsewhere.status_code == 409
    junk = _upload(inspector, eid, b"not an image", key="k" * 20)
    assert junk.status_code == 409
    assert _count(demo_app) == 1


def test_a_reused_key_on_another_evaluation_is_a_409(new_client, demo_app):
    admin = new_client()
    log_in_client(admin, "inspector")
    mine = evaluation_id(demo_app)
    assert _upload(admin, mine, photo(), key="x" * 20).status_code == 200
    with demo_app.app_context(), writing():  # a second evaluation of the same inspector
        other = db.session.get(Evaluation, evaluation_id(demo_app, "کهک"))
        inspector = db.session.scalar(select(User).where(User.username == "inspector"))
        from app.models import Assignment

        if not any(a.user_id == inspector.id for a in other.assignments):
            db.session.add(Assignment(evaluation_id=other.id, user_id=inspector.id,
                                      role="inspector"))
        other_id = other.id
    response = _upload(admin, other_id, photo(), key="x" * 20)
    assert response.status_code == 409


# --- one transaction: load, check, write -------------------------------------------------------

def test_the_service_checks_the_state_it_reads_in_its_own_transaction(demo_app):
    eid = evaluation_id(demo_app)
    with demo_app.app_context():
        user = db.session.scalar(select(User).where(User.username == "inspector"))
        seen = db.session.get(Evaluation, eid)
        assert seen.status in ("draft", "returned")  # what a view would have checked …
        with db.engine.connect() as other:  # … before someone else submitted it
            other.execute(text("UPDATE evaluations SET status = 'submitted' WHERE id = :id"),
                          {"id": eid})
            other.commit()
        with pytest.raises(ServiceError) as refused:
            with writing():
                services.add_photo(eid, "1.1", photo(), "late.jpg", user=user)
        assert refused.value.status == 403
        assert db.session.scalar(select(func.count(Evidence.id))) == 0


def test_uploads_and_removals_are_refused_once_submitted(inspector, demo_app):
    eid = evaluation_id(demo_app)
    photo_id = _upload(inspector, eid, photo()).json["id"]
    with demo_app.app_context(), writing():
        db.session.get(Evaluation, eid).status = "submitted"
    refused = _upload(inspector, eid, photo(colour=(1, 2, 3)))
    assert refused.status_code == 403 and is_persian(refused.json["error"])
    removal = inspector.post(f"/evaluations/{eid}/photos/{photo_id}/delete",
                             data={"csrf_token": token_of(inspector, f"/evaluations/{eid}")})
    assert removal.status_code == 403
    assert _count(demo_app) == 1


def test_others_get_404_from_the_service(new_client, demo_app):
    eid = evaluation_id(demo_app)
    author = new_client()
    log_in_client(author, "author")
    assert _upload(author, eid, photo()).status_code == 404


def test_files_follow_the_transaction(inspector, demo_app, monkeypatch):
    eid = evaluation_id(demo_app)
    directory = Path(demo_app.config["DATA_DIR"]) / "evidence"

    def broken(*args, **kwargs):
        raise RuntimeError("the audit trail failed")

    from app import audit

    monkeypatch.setattr(audit, "record", broken)
    with demo_app.app_context():
        user = db.session.scalar(select(User).where(User.username == "inspector"))
        with pytest.raises(RuntimeError):
            with writing():
                services.add_photo(eid, "1.1", photo(), "x.jpg", user=user)
    assert not list(directory.glob("*.jpg"))  # nothing left behind by the failed insert
    monkeypatch.undo()
    response = _upload(inspector, eid, photo())
    assert len(list(directory.glob("*.jpg"))) == 2  # the photo and its thumbnail
    removal = inspector.post(f"/evaluations/{eid}/photos/{response.json['id']}/delete",
                             data={"csrf_token": token_of(inspector, f"/evaluations/{eid}")})
    assert removal.status_code == 302
    assert not list(directory.glob("*.jpg"))
