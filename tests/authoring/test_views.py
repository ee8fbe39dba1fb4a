"""The authors' pages over HTTP: who may reach them, a broken upload with its problems beside
the right lines, the preview as inspectors see it, trial scores, the diff and publishing."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import func, select

from app.authoring.services import latest_version, sha256_of
from app.extensions import db
from app.i18n import persian_digits
from app.models import AuditEvent, RubricVersion
from tests.helpers import csrf_token, login

from .conftest import (
    DEMO_LABEL,
    DEMO_V2_CHANGE_FA,
    DEMO_V2_LABEL,
    TINY_V1,
    TINY_V2,
    demo_text,
    demo_v2,
    evaluation,
)

DRAFT = "/rubrics/draft"


def _text(page: str) -> str:
    """The visible text of a page, tags removed and spaces folded."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _row(page: str, number: int) -> str:
    match = re.search(rf'<tr id="line-{number}"[^>]*>(.*?)</tr>', page, re.S)
    assert match, f"line {number} is not in the listing"
    return match.group(0)


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.split("\n"), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def _post(client, data: dict, *, files: dict | None = None, lang: str | None = None):
    page = client.get(DRAFT)
    form = {"action": "check", **data, "csrf_token": csrf_token(page.text)}
    if files:
        form.update(files)
    url = DRAFT + (f"?lang={lang}" if lang else "")
    return client.post(url, data=form, content_type="multipart/form-data")


def _textarea(page: str, name: str = "text") -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\n?(.*?)</textarea>', page, re.S)
    assert match, f"no textarea {name}"
    return html.unescape(match.group(1))


def _checked(page: str) -> str:
    return re.search(r'name="checked" value="([^"]*)"', page).group(1)


def _versions() -> int:
    return db.session.scalar(select(func.count(RubricVersion.id)))


# --- who may come in -------------------------------------------------------------------------

PAGES = ["/rubrics/", DRAFT, f"{DRAFT}?from=1", "/rubrics/versions/1",
         "/rubrics/versions/1/rubric.yaml"]


@pytest.mark.parametrize("username", ["inspector", "reviewer"])
def test_inspectors_and_reviewers_are_kept_out(client, username):
    login(client, username)
    home = client.get("/evaluations/")
    assert "/rubrics/" not in home.text  # no link to the authors' pages either
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    response = client.post(DRAFT, data={"text": TINY_V1, "action": "publish",
                                        "checked": sha256_of(TINY_V1),
                                        "csrf_token": csrf_token(home.text)})
    assert response.status_code == 403
    with client.application.app_context():
        assert _versions() == 1


def test_visitors_are_sent_to_the_login(client):
    response = client.get("/rubrics/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("username", ["author", "admin"])
def test_authors_and_admins_get_in(client, username):
    login(client, username)
    home = client.get("/evaluations/")
    assert 'href="/rubrics/"' in home.text
    for url in PAGES:
        assert client.get(url).status_code == 200, url


def test_a_post_without_the_csrf_token_is_refused(author_client):
    response = author_client.post(DRAFT, data={"text": TINY_V1, "action": "check"})
    assert response.status_code == 400


# --- the list and the versions ---------------------------------------------------------------

def test_the_list_shows_versions_with_jalali_dates_publisher_and_sha(author_client):
    page = author_client.get("/rubrics/").text
    version = None
    with author_client.application.app_context():
        version = latest_version("municipal-units")
        sha, when = version.sha256, version.published_at
    from app.i18n import jalali_datetime

    assert sha[:12] in page and jalali_datetime(when, "fa") in page
    assert persian_digits(DEMO_LABEL) in page
    text = _text(page)
    assert "خط فرمان" in text  # the demo published it from the command line
    assert "۴ از ۹" in text  # open evaluations of all pinned to it


def test_download_gives_the_published_text_byte_for_byte(author_client):
    response = author_client.get("/rubrics/versions/1/rubric.yaml")
    assert response.data.decode("utf-8") == demo_text()
    disposition = response.headers["Content-Disposition"]
    assert f'filename="municipal-units-{DEMO_LABEL}.yaml"' in disposition


def test_a_broken_upload_shows_every_problem_beside_its_line(author_client):
    broken = (TINY_V1.replace("weight: 2, target", "wieght: 2, target")
              .replace('{id: "1.2"', "{id: 1.20")
              .replace("type: yesno", "type: yesnoo"))
    response = _post(author_client, {"text": ""},
                     files={"upload": (io.BytesIO(broken.encode()), "broken.yaml")},
                     lang="en")
    assert response.status_code == 200
    page = response.text
    assert "broken.yaml: 4 problem(s) found." in _text(page)
    wieght, bare, yesnoo = (_line_of(broken, "wieght"), _line_of(broken, "1.20"),
                            _line_of(broken, "yesnoo"))
    assert "R108" in _row(page, wieght) and "did you mean «weight»" in _row(page, wieght)
    assert "R107" in _row(page, wieght)  # the missing weight, on the same item
    assert "R201" in _row(page, bare) and 'id: "1.20"' in html.unescape(_row(page, bare))
    assert "R205" in _row(page, yesnoo) and "yesno" in _row(page, yesnoo)
    # a line without a problem carries no message
    assert 'class="note"' not in _row(page, _line_of(broken, "    criteria:"))
    # nothing lost: the uploaded text is in the editor to be corrected
    assert _textarea(page) == broken
    assert "Publish this version" not in page and "Preview of the inspectors" not in page


def test_the_same_messages_as_the_command_line_in_persian(author_client):
    broken = TINY_V1.replace("weight: 2, target", "wieght: 2, target")
    page = _post(author_client, {"text": broken}).text
    from app.authoring.drafts import check_draft, problem_text

    problems = check_draft(broken, max_bytes=10**6).problems
    text = re.sub(r"</?bdi[^>]*>", "", page)  # isolates only lay the text out; it is the same
    for problem in problems:
        assert html.escape(problem_text(problem, "fa"), quote=False) in text
    assert "منظورتان «weight» است؟" in html.unescape(text)
    # in the Persian sentence each key stays a left-to-right piece of its own
    assert '«<bdi dir="ltr">weight</bdi>» است؟' in page


def test_pasted_text_with_windows_line_ends_is_checked_as_plain_lines(author_client):
    page = _post(author_client, {"text": TINY_V2.replace("\n", "\r\n")}).text
    assert _checked(page) == sha256_of(TINY_V2)
    assert _textarea(page) == TINY_V2


def test_an_oversize_upload_is_not_read_and_the_editor_keeps_its_text(author_client):
    author_client.application.config["RUBRIC_MAX_BYTES"] = 600
    response = _post(author_client, {"text": "id: draft-in-progress\n"},
                     files={"upload": (io.BytesIO(TINY_V1.encode()), "big.yaml")}, lang="en")
    page = response.text
    assert "R001" in page and "more than the limit of 600 bytes" in page
    assert _textarea(page) == "id: draft-in-progress\n"


def test_a_file_not_in_utf8_is_named_with_its_place(author_client):
    data = TINY_V1.replace("پوشش", "X").encode("utf-8") + "title: سلام\n".encode("cp1256")
    page = _post(author_client, {}, files={"upload": (io.BytesIO(data), "old.yaml")},
                 lang="en").text
    assert "R002" in page and "not UTF-8" in page


# --- a valid draft: preview, trial scores, diff, publish --------------------------------------

def _articles(page: str) -> dict[str, str]:
    """Each criterion card of a page (its HTML) by its key; the town's own profile values
    (which a preview, having no town, shows as «—») are left out."""
    return {match.group(2): re.sub(r'<span class="profile-value">.*?</span>', "",
                                   match.group(1), flags=re.S)
            for match in re.finditer(
                r'(<article class="criterion[^"]*" id="crit-([^"]+)".*?</article>)', page, re.S)}


def test_the_preview_is_the_inspectors_form_for_the_tier_chosen(client, demo_app):
    login(client, "inspector")
    with demo_app.app_context():
        empty = evaluation("جعفریه")  # a tier S draft with no answers yet
        assert empty.tier_id == "S" and not empty.answers
        inspectors = client.get(f"/evaluations/{empty.id}").text
    client.post("/logout", data={"csrf_token": csrf_token(inspectors)})
    login(client, "author")
    preview_s = _post(client, {"text": demo_text(), "tier": "S"}).text
    expected = _articles(inspectors)
    assert len(expected) > 40
    assert _articles(preview_s) == expected  # card for card, field for field
    preview_m = _post(client, {"text": demo_text(), "tier": "M"}).text
    assert 'data-preview-tier="M"' in preview_m
    s_ids, m_ids = set(_articles(preview_s)), set(_articles(preview_m))
    assert s_ids != m_ids and len(m_ids) > len(s_ids)  # transport applies to M and L only
    assert "<form" not in preview_s.split('id="preview"', 1)[1]  # nothing to post it to


def test_trial_scores_of_the_examples_and_of_pasted_answers(author_client):
    answers = ('municipality: {name: آزمون, grade: 3}\nanswers:\n  "1.1": "۶۰"\n'
               '  "1.2": کم\n  "2.1": {value: "۱۰", note: دور است}\n  "2.2": خیر\n')
    page = _post(author_client, {"text": TINY_V1, "answers": answers}, lang="en").text
    runs = page.split('id="dry-runs"', 1)[1].split('id="preview"', 1)[0]
    text = _text(runs)
    assert "شهر نمونه" in text and "as expected" in text
    # 1.1: 60/80 → 0.75×2, 1.2: 0.5×1 → clean 66.7; fire (lower, floor 15): 10 → 0.5, no → 0
    # → 25; overall (3×66.667 + 1×25) / 4 = 56.25 → 56.3
    assert text.count("56.3") == 2 and "answers.yaml" in text
    bad = _post(author_client, {"text": TINY_V1, "answers": answers.replace('"1.1"', '"9.9"')},
                lang="en").text
    assert "A001" in bad and "9.9" in bad


def test_an_example_that_disagrees_blocks_publishing(author_client):
    wrong = TINY_V1.replace("expect: {band: مناسب}", "expect: {band: خوب}")
    page = _post(author_client, {"text": wrong}, lang="en").text
    line = _line_of(wrong, "expect: {band: خوب}")  # the mismatch is told where it is written
    assert "X004" in _row(page, line)
    assert "not what the example expects" in page
    assert "Publish this version" not in page


def test_diff_and_open_evaluations_shown_before_publishing_then_published(author_client):
    page = _post(author_client, {"text": demo_v2()}).text
    before = _text(page.split('id="publish"', 1)[1].split('id="dry-runs"', 1)[0])
    assert DEMO_V2_CHANGE_FA in before
    for town in ("قنوات", "سلفچگان", "کهک", "جعفریه"):
        assert town in before
    assert "دستجرد" not in before  # approved evaluations are not open
    digest = _checked(page)
    assert digest == sha256_of(demo_v2())

    response = author_client.post(DRAFT, data={"text": demo_v2(), "action": "publish",
                                               "checked": digest,
                                               "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    with author_client.application.app_context():
        version = latest_version("municipal-units")
        assert version.version_label == DEMO_V2_LABEL and version.yaml_text == demo_v2()
        assert response.headers["Location"].endswith(f"/rubrics/versions/{version.id}")
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "rubric.publish").order_by(AuditEvent.id.desc()))
        assert event.object_id == str(version.id) and event.user.username == "author"
        assert evaluation("کهک").rubric_version.version_label == DEMO_LABEL
    shown = author_client.get(response.headers["Location"])
    text = _text(shown.text)
    assert persian_digits(DEMO_V2_LABEL) in text and "از ۲۵ به ۳۰" in text
    assert "حسین ابراهیمی" in text


def test_the_version_page_compares_with_any_other_version(author_client):
    page = _post(author_client, {"text": demo_v2()}).text
    author_client.post(DRAFT, data={"text": demo_v2(), "action": "publish",
                                    "checked": _checked(page), "csrf_token": csrf_token(page)})
    first = author_client.get("/rubrics/versions/1?lang=en").text
    assert "This is the first published version" in first
    against = author_client.get("/rubrics/versions/1?against=2&lang=en").text
    assert "The weight of the criterion 12.3" in against and "from 30 to 25" in against


def test_publishing_needs_the_text_that_was_checked(author_client):
    page = _post(author_client, {"text": demo_v2()}).text
    edited = demo_v2().replace("سهم درخواست‌های ۱۳۷ مختومه در مهلت", "سهم درخواست‌های مختومه")
    response = author_client.post(DRAFT, data={"text": edited, "action": "publish",
                                               "checked": _checked(page),
                                               "csrf_token": csrf_token(page)})
    assert response.status_code == 409
    with author_client.application.app_context():
        assert _versions() == 1
    # the new text now checked, with its differences: it may be published
    assert _checked(response.text) == sha256_of(edited)
    assert _textarea(response.text) == edited
    assert "«سهم درخواست‌های مختومه»" in html.unescape(response.text)  # the new title is listed


def test_republishing_the_published_text_does_nothing(author_client):
    page = _post(author_client, {"text": demo_text()}).text
    assert "Publish this version" not in page and _checked(page) == ""
    assert "already published as version" in _post(author_client, {"text": demo_text()},
                                                    lang="en").text
    response = author_client.post(DRAFT, data={"text": demo_text(), "action": "publish",
                                               "checked": sha256_of(demo_text()),
                                               "csrf_token": csrf_token(page)})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/rubrics/versions/1")
    with author_client.application.app_context():
        assert _versions() == 1


def test_new_content_under_the_published_label_is_refused_on_the_page(author_client):
    relabel = demo_v2().replace(f'version: "{DEMO_V2_LABEL}"', f'version: "{DEMO_LABEL}"')
    page = _post(author_client, {"text": relabel}, lang="en").text
    assert "already published with different content" in page
    assert "Publish this version" not in page
    response = author_client.post(DRAFT + "?lang=en", data={
        "text": relabel, "action": "publish", "checked": sha256_of(relabel),
        "csrf_token": csrf_token(page)})
    assert response.status_code == 409 and DEMO_V2_LABEL in response.text
    with author_client.application.app_context():
        assert _versions() == 1


def test_a_new_rubric_is_published_as_its_first_version_then_a_second(author_client):
    page = _post(author_client, {"text": TINY_V1}).text
    assert "این نخستین نسخهٔ آن خواهد بود" in _text(page) and _checked(page)
    for text in (TINY_V1, TINY_V2):
        page = _post(author_client, {"text": text}).text
        response = author_client.post(DRAFT, data={"text": text, "action": "publish",
                                                   "checked": _checked(page),
                                                   "csrf_token": csrf_token(page)})
        assert response.status_code == 302
    index = _text(author_client.get("/rubrics/").text)
    assert "شیوه‌نامهٔ آزمایشی" in index
    with author_client.application.app_context():
        assert latest_version("tiny").version_label == "2"
