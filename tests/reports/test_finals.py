"""Finals that hold up (issue 14): frozen at approval, byte-identical ever after, verifiable
with `arzyab report verify` and the public /verify page, PAdES-signed (checked with pyHanko's
own validator), PDF/A-3b with the score card embedded, a QR code on every page."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from app.demo import demo_certificate
from app.evaluations.services import answer_values, profile_of, rubric_for
from app.extensions import db
from app.models import AuditEvent, Evaluation, Municipality, User
from app.reports import finals, services, settings
from app.reports.models import ReportSnapshot, StoredReport
from app.reports.render import render_pdf
from app.reports.signing import (
    SignerIdentity,
    SigningKey,
    check_signatures,
    make_demo_certificate,
    outside_event_loop,
    sign_in_turn,
    trust_root,
)
from app.scoring import score
from tests.conftest import _app_from, _close, _make_app
from tests.helpers import csrf_token, login
from tests.reports.conftest import evaluation_of, normalise, pdf_text

pytestmark = pytest.mark.pdf


@pytest.fixture
def signed_app(demo_app):
    """The demo app with the demo's self-signed certificate, as `arzyab demo` makes it."""
    with demo_app.app_context():
        demo_certificate()
    return demo_app


def _approve(client, app, town="قنوات"):
    """The two-step finish through the web, like people: the reviewer approves the submitted
    evaluation of `town` (on its confirmation page), then the province's director-general
    signs it off, which issues the final."""
    with app.app_context():
        evaluation_id = evaluation_of(town, 1404).id
    login(client, "reviewer")
    page = client.get(f"/evaluations/{evaluation_id}/approve")
    with client.post(f"/evaluations/{evaluation_id}/approve",
                     data={"csrf_token": csrf_token(page.text)}) as response:
        assert response.status_code == 302, response.text[:300]
    with app.app_context():
        assert finals.snapshot_of(evaluation_id) is None  # approved is not final yet
    manager = app.test_client()
    login(manager, "manager")
    page = manager.get(f"/evaluations/{evaluation_id}/sign")
    with manager.post(f"/evaluations/{evaluation_id}/sign",
                      data={"csrf_token": csrf_token(page.text)}) as response:
        assert response.status_code == 302, response.text[:300]
    # closing the response ran what follows it: the final rendered in-process
    return evaluation_id


@pytest.fixture(scope="session")
def _signed_template(databases, tmp_path_factory):
    """The demo with the demo's certificate and Qanavat's final issued through the web (the
    reviewer approves, the director-general signs: `_approve`), built once per session
    (`build_once`; on PostgreSQL once per worker): its database a template, its data
    directory (the certificate, the stored final) copied into each test's own; the demo's own
    final (Dastjerd) is rendered and stored in it too. The tests that take an issued final as
    it is given start from it (`signed_final`); the approval's and sign-off's own tests do
    them in the test."""
    data = tmp_path_factory.mktemp("signed-final") / "data"

    def build():
        databases.copy_template("demo", "signed_final")
        app = _make_app(databases.uri("signed_final"), data)
        with app.app_context():
            demo_certificate()
        _approve(app.test_client(), app)
        with app.app_context():
            services.final_report(evaluation_of("دستجرد", 1404))  # the demo's final, stored
            _close(app)

    databases.build_once("signed_final", build, data)
    return "signed_final", data


@pytest.fixture
def signed_final(databases, _apps, _signed_template, tmp_path):
    """(app, the reviewer's client, Qanavat's evaluation id): a fresh copy of the database and
    data directory of `_signed_template`, as `_approve` leaves them on `signed_app`, the
    reviewer who approved it logged in as after `_approve`."""
    template, data = _signed_template
    for app in _app_from(databases, _apps, template, tmp_path):
        shutil.copytree(data, app.config["DATA_DIR"], dirs_exist_ok=True)
        client = app.test_client()
        login(client, "reviewer")
        with app.app_context():
            evaluation_id = evaluation_of("قنوات", 1404).id
        yield app, client, evaluation_id


def _stored_bytes(app, evaluation_id) -> bytes:
    with app.app_context():
        stored = finals.stored_of(evaluation_id)
        assert stored is not None, "the final was rendered right after the approval"
        return finals.stored_file(stored).read_bytes()


def _verify(app, path: Path):
    return app.test_cli_runner().invoke(args=["report", "verify", str(path), "--lang", "en"])


def _strip_signatures(data: bytes) -> bytes:
    """The file as WeasyPrint wrote it, before the first signature's incremental update."""
    end = data.index(b"%%EOF") + len(b"%%EOF")
    while data[end:end + 1] in (b"\r", b"\n"):
        end += 1
    return data[:end]


def test_a_final_keeps_its_content_and_bytes_whatever_is_edited_later(signed_final, tmp_path):
    signed_app, client, evaluation_id = signed_final
    issued = _stored_bytes(signed_app, evaluation_id)
    with signed_app.app_context():
        snapshot = finals.snapshot_of(evaluation_id)
        frozen = finals.context_of(snapshot)
        assert frozen["profile"]["county"] == "قم"
        assert frozen["method"]["inspectors"] == ["مریم بختیاری"]
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "report.render",
            AuditEvent.evaluation_id == evaluation_id)) == 1

        # months later: the county, the inspector's name and the rubric's titles change
        evaluation = db.session.get(Evaluation, evaluation_id)
        town = db.session.get(Municipality, evaluation.municipality_id)
        town.county = "شهرستان تازه"
        db.session.get(User, evaluation.users_in_role("inspector")[0].id).full_name = \
            "نام تازه کارشناس"
        db.session.commit()
        version = evaluation.rubric_version
        from app.authoring.services import publish_file

        renamed = tmp_path / "renamed.yaml"
        renamed.write_text(version.yaml_text.replace("مدیریت پسماند و نخاله", "عنوان تازه واحد")
                           .replace(f'version: "{version.version_label}"', 'version: "1404.9"'),
                           encoding="utf-8")
        with pytest.raises(DatabaseError):  # a published version itself never changes
            db.session.execute(text("UPDATE rubric_versions SET title = 'x' WHERE id = :id"),
                               {"id": version.id})
        db.session.rollback()
        publish_file(renamed)
        db.session.commit()
        # and the snapshot itself cannot be altered either
        with pytest.raises(DatabaseError):
            db.session.execute(text("UPDATE report_snapshots SET context_json = '{}'"))
        db.session.rollback()
        with pytest.raises(DatabaseError):
            db.session.execute(text("DELETE FROM report_snapshots"))
        db.session.rollback()

    with client.get(f"/evaluations/{evaluation_id}/report.pdf") as response:
        assert response.status_code == 200
        downloaded = response.data
    assert downloaded == issued  # byte-identical
    pdf = tmp_path / "final.pdf"
    pdf.write_bytes(downloaded)
    printed = pdf_text(pdf)
    assert normalise("مریم بختیاری") in printed and normalise("نام تازه") not in printed
    assert normalise("شهرستان تازه") not in printed
    assert normalise("مدیریت پسماند و نخاله") in printed
    assert normalise("عنوان تازه واحد") not in printed
    with signed_app.app_context():
        html, _context = services.evaluation_html(db.session.get(Evaluation, evaluation_id))
        assert "مریم بختیاری" in html and "نام تازه کارشناس" not in html
        assert "شهرستان تازه" not in html and "عنوان تازه واحد" not in html


def test_verify_says_valid_only_for_the_issued_file(signed_final, tmp_path):
    signed_app, _client, evaluation_id = signed_final
    issued = _stored_bytes(signed_app, evaluation_id)
    good = tmp_path / "issued.pdf"
    good.write_bytes(issued)
    result = _verify(signed_app, good)
    assert result.exit_code == 0, result.output
    assert "Identical to the issued file, and its digital signatures are valid." in result.output
    assert "signature Signature1 by علیرضا جواهر" in result.output and ": valid" in result.output

    changed = bytearray(issued)
    middle = len(changed) // 2
    changed[middle] = (changed[middle] + 1) % 256
    one_byte = tmp_path / "one-byte.pdf"
    one_byte.write_bytes(bytes(changed))
    result = _verify(signed_app, one_byte)
    assert result.exit_code == 1 and "Not the issued file" in result.output

    stripped = tmp_path / "stripped.pdf"
    stripped.write_bytes(_strip_signatures(issued))
    assert stripped.read_bytes().startswith(b"%PDF") and len(stripped.read_bytes()) < len(issued)
    result = _verify(signed_app, stripped)
    assert result.exit_code == 1 and "Not the issued file" in result.output
    assert "signature Signature1" not in result.output

    # the same text rendered again from the same snapshot, and signed: still not the issued file
    with signed_app.app_context():
        snapshot = finals.snapshot_of(evaluation_id)
        context = finals.context_of(snapshot)
        key = finals.signing_key()
        again = tmp_path / "again.pdf"
        render_pdf(finals.final_html(context, signed=True),
                   settings.fetch_policy(db.session.get(Evaluation, evaluation_id)), again,
                   options=finals.pdf_options(snapshot, context, key), slots=settings.slots())
    assert again.read_bytes() != issued
    assert pdf_text(again) == pdf_text(good)
    result = _verify(signed_app, again)
    assert result.exit_code == 1 and "Not the issued file" in result.output

    result = _verify(signed_app, Path(__file__))  # not even a PDF
    assert result.exit_code == 1 and "Not the issued file" in result.output


def test_the_signature_the_archive_and_the_metadata(signed_final):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    signed_app, _client, evaluation_id = signed_final
    issued = _stored_bytes(signed_app, evaluation_id)
    with signed_app.app_context():
        root = trust_root(finals.signing_key())
        evaluation = db.session.get(Evaluation, evaluation_id)
        expected = json.loads(json.dumps(score(rubric_for(evaluation), evaluation.tier_id,
                                               answer_values(evaluation),
                                               profile_of(evaluation)).to_dict()))
        town = evaluation.municipality.name

    reader = PdfFileReader(io.BytesIO(issued))
    # signed by both, in turn: the reviewer who approved it, then the director-general
    approval, signature = reader.embedded_signatures
    assert str(approval.sig_object["/Name"]) == "علیرضا جواهر"
    # (pyHanko's synchronous API runs its own event loop: outside_event_loop gives it a
    # thread of its own when the browser tests' Playwright loop is running in this one).
    # What the later signature changed is analysed on a small file signed the same way
    # (test_a_later_signature_changes_only_what_a_verifier_allows): on this report pyHanko's
    # analysis takes one to two minutes and says the same
    for each, coverage in ((approval, "ENTIRE_REVISION"), (signature, "ENTIRE_FILE")):
        status = outside_event_loop(validate_pdf_signature, each,
                                    ValidationContext(trust_roots=[root]), skip_diff=True)
        assert status.intact and status.valid and status.trusted and status.bottom_line
        assert status.coverage.name == coverage
    assert str(signature.sig_object["/Name"]) == "محمدحسین صالحی"
    # pyHanko's validator trusts nothing it is not told to: another root fails the file
    untrusted = outside_event_loop(validate_pdf_signature, signature,
                                   ValidationContext(trust_roots=[]))
    assert untrusted.intact and not untrusted.trusted and not untrusted.bottom_line

    names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[0] == "scorecard.json"
    filespec = names[1].get_object()
    assert filespec["/AFRelationship"] == "/Data"
    embedded = json.loads(filespec["/EF"]["/F"].get_object().data)
    assert embedded.pop("municipality")["name"] == town
    assert embedded.pop("cycle") == {"year": 1404, "title": evaluation_of_title(signed_app)}
    assert embedded == expected  # exactly ScoreCard.to_dict() of the evaluation's answers

    xmp = reader.root["/Metadata"].get_object().data.decode("utf-8")
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert f"شهرداری {town}" in xmp  # the Persian title
    assert "دفتر امور شهری" in xmp  # the author: the office
    assert reader.root["/Lang"] == "fa"
    info = reader.trailer["/Info"]
    assert str(info["/Producer"]) in xmp  # information and XMP agree, as PDF/A requires
    assert str(info["/Title"]).startswith("گزارش ارزیابی عملکرد")
    assert reader.root["/MarkInfo"]["/Marked"]  # tagged


def test_a_later_signature_changes_only_what_a_verifier_allows(tmp_path):
    """The second signature of a final (the director-general's, after the reviewer's) is an
    incremental update a verifier accepts: pyHanko's analysis of what it changed finds only
    form filling, so the first signature stays valid in Adobe's sense too, not only intact."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from app.reports.render import FetchPolicy, PdfOptions, Slots, render_pdf_bytes

    key = make_demo_certificate(tmp_path, "دفتر امور شهری")
    # rendered and signed by the renderer, as a final is (PDF/A-3b, tagged, two signers)
    twice, _result = render_pdf_bytes(
        '<html lang="fa" dir="rtl"><body><h1>گزارش</h1><p>۱۲٫۵</p></body></html>',
        FetchPolicy(), slots=Slots(lock_dir=str(tmp_path / "locks"), count=1),
        options=PdfOptions(variant="pdf/a-3b", tags=True, signing=key, signers=(
            SignerIdentity("علیرضا جواهر", "تأیید", "قم"),
            SignerIdentity("محمدحسین صالحی", "امضا", "قم"))))
    first, second = PdfFileReader(io.BytesIO(twice)).embedded_signatures
    context = ValidationContext(trust_roots=[trust_root(key)])
    status = outside_event_loop(validate_pdf_signature, first, context)
    assert status.bottom_line and status.docmdp_ok
    assert status.coverage.name == "ENTIRE_REVISION"
    assert status.modification_level == ModificationLevel.FORM_FILLING
    assert outside_event_loop(validate_pdf_signature, second, context).bottom_line


def evaluation_of_title(app) -> str:
    with app.app_context():
        return evaluation_of("قنوات", 1404).cycle.title


def test_the_qr_code_on_every_page_gives_the_verify_link(signed_final, tmp_path):
    import zxingcpp
    from PIL import Image

    signed_app, _client, evaluation_id = signed_final
    pdf = tmp_path / "final.pdf"
    pdf.write_bytes(_stored_bytes(signed_app, evaluation_id))
    with signed_app.app_context():
        url = finals.context_of(finals.snapshot_of(evaluation_id))["verification"]["url"]
        pages = finals.stored_of(evaluation_id).pages
    assert url.startswith("http://localhost/verify/")  # the address the approval came to
    for page in (1, pages):
        out = tmp_path / f"page-{page}"
        subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", str(page), "-l", str(page),
                        "-singlefile", str(pdf), str(out)], check=True)
        found = zxingcpp.read_barcodes(Image.open(f"{out}.png"))
        assert [code.text for code in found] == [url], page
    # and the link answers, without logging in
    page = signed_app.test_client().get(url.removeprefix("http://localhost"))
    assert page.status_code == 200 and "قنوات" in page.text


def test_a_second_signer_signs_in_turn_and_both_signatures_stay_valid(signed_final):
    from pyhanko.pdf_utils.reader import PdfFileReader

    signed_app, _client, _qanavat = signed_final
    with signed_app.app_context():
        once = finals.stored_file(services.final_report(evaluation_of("دستجرد", 1404))) \
            .read_bytes()
        key = finals.signing_key()
        root = trust_root(key)
    # a final is signed by the reviewer who approved it, then by the director-general
    first, second = check_signatures(once, [root])
    assert (first.field, first.name, second.field, second.name) == \
        ("Signature1", "علیرضا جواهر", "Signature2", "محمدحسین صالحی")
    assert (first.coverage, second.coverage) == ("ENTIRE_REVISION", "ENTIRE_FILE")
    twice = sign_in_turn(once, [SignerIdentity("دبیرخانه", "بایگانی", "قم")], key)
    assert twice.startswith(once)  # incremental: the bytes signed first are untouched
    first, second, third = check_signatures(twice, [root])
    assert third.field == "Signature3" and third.name == "دبیرخانه"
    assert all(s.valid and s.trusted for s in (first, second, third))
    assert (second.coverage, third.coverage) == ("ENTIRE_REVISION", "ENTIRE_FILE")
    reader = PdfFileReader(io.BytesIO(twice))
    xmp = reader.root["/Metadata"].get_object().data.decode("utf-8")
    assert 'pdfaid:part="3"' in xmp and str(reader.trailer["/Info"]["/Producer"]) in xmp


def test_unsigned_finals_are_marked_and_verify_says_so(client, demo_app, tmp_path):
    evaluation_id = _approve(client, demo_app)  # no certificate: demo_certificate() not run
    issued = _stored_bytes(demo_app, evaluation_id)
    pdf = tmp_path / "unsigned.pdf"
    pdf.write_bytes(issued)
    assert normalise("بدون امضای دیجیتال") in pdf_text(pdf)
    result = _verify(demo_app, pdf)
    assert result.exit_code == 0, result.output
    assert "issued without a digital signature" in result.output


def test_the_verify_page_is_public_checks_csrf_and_limits_the_upload(signed_final):
    signed_app, _client, evaluation_id = signed_final
    issued = _stored_bytes(signed_app, evaluation_id)
    with signed_app.app_context():
        snapshot = finals.snapshot_of(evaluation_id)
        code, sha = snapshot.code, finals.stored_of(evaluation_id).sha256
    anonymous = signed_app.test_client()
    page = anonymous.get(f"/verify/{finals.display_code(code).lower()}")
    assert page.status_code == 200
    for fact in ("قنوات", "۱۴۰۴", "علیرضا جواهر", sha):
        assert fact in page.text, fact
    assert "مریم" not in page.text  # the minimum: no other names
    assert anonymous.get("/verify/ABCDEFGHJKMN").status_code == 404
    assert anonymous.get("/verify/not-a-code").status_code == 404
    assert anonymous.get("/verify?code=nonsense").status_code == 400
    typed = anonymous.get(f"/verify?code={finals.display_code(code)}")
    assert typed.status_code == 302 and typed.headers["Location"].endswith(f"/verify/{code}")

    url = f"/verify/{code}"
    no_token = anonymous.post(url, data={"pdf": (io.BytesIO(issued), "r.pdf")},
                              content_type="multipart/form-data")
    assert no_token.status_code == 400
    token = csrf_token(anonymous.get(url).text)
    same = anonymous.post(url, data={"csrf_token": token, "pdf": (io.BytesIO(issued), "r.pdf")},
                          content_type="multipart/form-data")
    assert same.status_code == 200 and "یکسان با فایل صادرشده" in same.text
    other = anonymous.post(url, data={"csrf_token": token,
                                      "pdf": (io.BytesIO(issued + b"\n"), "r.pdf")},
                           content_type="multipart/form-data")
    assert other.status_code == 200 and "فایل صادرشده نیست" in other.text
    signed_app.config["VERIFY_MAX_BYTES"] = 1024
    big = anonymous.post(url, data={"csrf_token": token, "pdf": (io.BytesIO(issued), "r.pdf")},
                         content_type="multipart/form-data")
    assert big.status_code == 400 and "بزرگ" in big.text
    empty = anonymous.post(url, data={"csrf_token": token}, content_type="multipart/form-data")
    assert empty.status_code == 400


def test_a_final_issued_before_snapshots_keeps_its_stored_file(demo_app, monkeypatch):
    """An evaluation approved and downloaded before migration 0007: no snapshot, a stored
    file whose footer printed the 64-hex content hash. It is served and verified as it is."""
    import hashlib

    from app.db import writing
    from app.evaluations.moves import approve, sign_off
    from app.reports.context import evaluation_context
    from app.reports.verify import facts_for_code, verify_file

    monkeypatch.setattr(services, "issue_final", lambda evaluation, user=None: None)
    with demo_app.app_context():
        reviewer = db.session.scalar(select(User).where(User.username == "reviewer"))
        manager = db.session.scalar(select(User).where(User.username == "manager"))
        evaluation_id = evaluation_of("قنوات", 1404).id
        with writing():
            approve(db.session.get(Evaluation, evaluation_id), user=reviewer)
        with writing():
            sign_off(db.session.get(Evaluation, evaluation_id), user=manager)
        assert finals.snapshot_of(evaluation_id) is None
        evaluation = db.session.get(Evaluation, evaluation_id)
        with settings.report_locale():
            content = finals.canonical_json(evaluation_context(evaluation))
        code = hashlib.sha256(content.encode()).hexdigest()
        legacy = b"%PDF-1.7\n% a final issued before snapshots\n%%EOF\n"
        path = settings.reports_dir() / f"{evaluation_id:06d}-legacy.pdf"
        path.write_bytes(legacy)
        with writing():
            db.session.add(StoredReport(
                evaluation_id=evaluation_id, file_name=path.name,
                sha256=hashlib.sha256(legacy).hexdigest(), content_sha256=code,
                content_json=content, size_bytes=len(legacy), pages=1,
                evaluation_version=evaluation.version))
        body, _name = services.report_pdf(db.session.get(Evaluation, evaluation_id))
        assert body.read_bytes() == legacy  # served as stored, not re-rendered
        assert finals.snapshot_of(evaluation_id) is None
        facts = facts_for_code(code.upper())
        assert facts.municipality == "قنوات" and facts.sha256 == hashlib.sha256(legacy).hexdigest()
        assert facts.signers == [{"title": "تأیید: مدیرکل دفتر امور شهری و شوراها",
                                  "name": "محمدحسین صالحی"}]
        assert verify_file(legacy).issued and verify_file(legacy, code).issued
        assert not verify_file(legacy + b" ").issued
    page = demo_app.test_client().get(f"/verify/{code}")
    assert page.status_code == 200 and "قنوات" in page.text


def test_a_configured_certificate_must_open(demo_app, tmp_path):
    from app import create_app
    from app.config import ConfigError

    base = {"SQLALCHEMY_DATABASE_URI": demo_app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "test-secret-key-0123456789", "DATA_DIR": str(tmp_path)}
    with pytest.raises(ConfigError, match="REPORT_SIGNING_P12.*cannot be read"):
        create_app({**base, "REPORT_SIGNING_P12": str(tmp_path / "missing.p12")})
    with demo_app.app_context():
        good = Path(demo_certificate())
    with pytest.raises(ConfigError, match="wrong passphrase"):
        create_app({**base, "REPORT_SIGNING_P12": str(good),
                    "REPORT_SIGNING_PASSPHRASE": "not-it"})
    with pytest.raises(ConfigError, match="REPORT_REQUIRE_SIGNATURE"):
        create_app({**base, "REPORT_REQUIRE_SIGNATURE": True})
    passphrase = (good.parent / "demo-signing.pass").read_text().strip()
    app = create_app({**base, "REPORT_SIGNING_P12": str(good),
                      "REPORT_SIGNING_PASSPHRASE": passphrase, "REPORT_REQUIRE_SIGNATURE": True})
    with app.app_context():
        assert finals.signing_key() == SigningKey(str(good), passphrase)


def test_arzyab_demo_makes_a_private_self_signed_certificate_once(app):
    import stat

    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        key = finals.signing_key()
        assert key is not None and key.p12_path.startswith(app.config["DATA_DIR"])
        assert f"Demo signing certificate (self-signed, not for official use): {key.p12_path}" \
            in result.output
        assert stat.S_IMODE(Path(key.p12_path).stat().st_mode) == 0o600
        certificate = trust_root(key)
        assert certificate.subject == certificate.issuer  # self-signed
        assert "not for official use" in certificate.subject.human_friendly
        # the demo's finals are frozen but not rendered yet: they render on first download
        assert db.session.scalar(select(func.count(ReportSnapshot.id))) == 5
        assert db.session.scalar(select(func.count(StoredReport.id))) == 0
        before = Path(key.p12_path).read_bytes()
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert Path(key.p12_path).read_bytes() == before  # made once


def test_the_sign_off_answers_first_and_the_final_renders_after_the_response(client, demo_app):
    """Approving freezes nothing (a download before the sign-off is a draft); the
    director-general's sign-off freezes the final and renders it once the answer is sent."""
    with demo_app.app_context():
        evaluation_id = evaluation_of("قنوات", 1404).id
    login(client, "reviewer")
    page = client.get(f"/evaluations/{evaluation_id}/approve")
    with client.post(f"/evaluations/{evaluation_id}/approve",
                     data={"csrf_token": csrf_token(page.text)}) as response:
        assert response.status_code == 302
    with client.get(f"/evaluations/{evaluation_id}/report.pdf") as draft:
        assert draft.status_code == 200 and "-draft.pdf" in draft.headers["Content-Disposition"]
    with demo_app.app_context():
        assert finals.snapshot_of(evaluation_id) is None  # the download froze nothing
    manager = demo_app.test_client()
    login(manager, "manager")
    page = manager.get(f"/evaluations/{evaluation_id}/sign")
    response = manager.post(f"/evaluations/{evaluation_id}/sign",
                            data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    with demo_app.app_context():
        assert finals.snapshot_of(evaluation_id) is not None  # frozen with the sign-off
        assert finals.stored_of(evaluation_id) is None  # not rendered while the manager waits
    response.close()  # the server has sent the response
    with demo_app.app_context():
        assert finals.stored_of(evaluation_id) is not None
