"""The renderer's locked fetcher, URL by URL (no rendering: these are fast)."""

import base64
import io

import pytest
from PIL import Image

from app.reports.render import FetchPolicy, FetchRefused, resolve
from tests.test_evidence import png_bomb


def _image(kind: str = "PNG", size=(4, 4)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, kind)
    return out.getvalue()


@pytest.fixture
def policy(tmp_path):
    static, fonts, evidence = (tmp_path / name for name in ("static", "fonts", "evidence"))
    for directory in (static, fonts, evidence, tmp_path / "elsewhere"):
        directory.mkdir()
    (static / "report.css").write_text("p { color: red }")
    (static / "notes.py").write_text("secret = 1")
    (static / "huge.css").write_bytes(b" " * (64 * 1024 + 1))
    (static / "bomb.png").write_bytes(png_bomb())
    (fonts / "Vazirmatn-Regular.ttf").write_bytes(b"\0\1\0\0font")
    (tmp_path / "elsewhere" / "secret.css").write_text("stolen")
    (static / "escape.css").symlink_to(tmp_path / "elsewhere" / "secret.css")
    (evidence / "mine.thumb.jpg").write_bytes(_image("JPEG"))
    (evidence / "theirs.thumb.jpg").write_bytes(_image("JPEG"))
    (tmp_path / "elsewhere" / "outside.jpg").write_bytes(_image("JPEG"))
    return FetchPolicy(
        roots={"static": str(static), "fonts": str(fonts)},
        evidence={"evidence/1": str(evidence / "mine.thumb.jpg"),
                  "evidence/9": str(tmp_path / "elsewhere" / "outside.jpg")},
        evidence_dir=str(evidence), max_file_bytes=64 * 1024, max_data_bytes=1024)


def test_serves_our_own_files_and_this_evaluations_photos(policy):
    assert resolve("arzyab:static/report.css", policy) == (b"p { color: red }", "text/css")
    assert resolve("arzyab:fonts/Vazirmatn-Regular.ttf#x", policy)[1] == "font/ttf"
    body, media_type = resolve("arzyab:evidence/1", policy)
    assert media_type == "image/jpeg" and body.startswith(b"\xff\xd8")
    small = "data:image/png;base64," + base64.b64encode(_image()).decode()
    assert resolve(small, policy)[1] == "image/png"


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "http://127.0.0.1:9/x.png",
    "https://example.com/font.ttf",
    "ftp://example.com/x",
    "javascript:alert(1)",
    "report.css",                                   # relative: no base to resolve it against
    "/etc/passwd",
    "arzyab:/etc/passwd",
    "arzyab:static//etc/passwd",
    "arzyab:static/../../../../etc/passwd",
    "arzyab:static/%2e%2e/%2e%2e/etc/passwd",
    "arzyab:static/%2E%2E/elsewhere/secret.css",
    "arzyab:static/%252e%252e/elsewhere/secret.css",  # double-encoded
    "arzyab:static/..%2felsewhere%2fsecret.css",
    "arzyab:static/.\\..\\elsewhere\\secret.css",
    "arzyab:static/report.css?x=1",
    "arzyab:static/escape.css",                     # a symlink leading out of the root
    "arzyab:static/notes.py",                       # not a type we serve
    "arzyab:static/huge.css",                       # over the size limit
    "arzyab:static/bomb.png",                       # 100,000 × 100,000 pixels
    "arzyab:static/missing.css",
    "arzyab:secrets/report.css",                    # not a root
    "arzyab:evidence/2",                            # another evaluation's photo
    "arzyab:evidence/9",                            # listed, but outside the evidence dir
    "arzyab:evidence/../evidence/1",
    "data:text/html,<h1>x</h1>",
    "data:image/svg+xml,<svg/>",
    "data:image/png;base64," + "A" * 5000,           # beyond the small size allowed
    "data:image/png;base64,!!!notbase64",
])
def test_refuses_everything_else(policy, url):
    with pytest.raises(FetchRefused):
        resolve(url, policy)


def test_an_empty_policy_serves_nothing(tmp_path):
    with pytest.raises(FetchRefused):
        resolve("arzyab:evidence/1", FetchPolicy())
    with pytest.raises(FetchRefused):
        resolve("arzyab:static/report.css", FetchPolicy())
