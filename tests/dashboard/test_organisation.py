"""The dashboard's declarations and follow-up per municipality (issue 15), on the demo:
Dastjerd declares every year (a third of its figures rosier than the inspectors found), the
1404 inspectors judged the 1403 recommendations done, in part and not done, and Dastjerd
answered two of them."""

from app.dashboard import organisation
from app.declarations.services import accuracy
from tests.dashboard.conftest import town


def test_accuracy_across_cycles_and_follow_up_counts(demo_ctx):
    rows = {row["name"]: row for row in organisation.table(None)}
    dastjerd = rows["دستجرد"]
    assert [y["year"] for y in dastjerd["years"]] == [1403, 1404]
    for year in dastjerd["years"]:
        assert year["declared"] == year["confirmed"] + year["corrected"] > 0
        assert year["corrected"] >= 1  # the demo's rosier declarations were corrected
        assert year["share"] == round(100 * year["confirmed"] / year["declared"], 1)
    verified = dastjerd["confirmed"] + dastjerd["corrected"]
    assert dastjerd["share"] == round(100 * dastjerd["confirmed"] / verified, 1) < 100
    follow = dastjerd["follow_up"]
    # 1403's three judged (done, in part, not done), 1404's three not yet
    assert (follow["total"], follow["done"], follow["partly"], follow["not_done"]) == \
        (6, 1, 1, 1)
    assert follow["open"] == 5 and follow["answered"] == 2
    # Qom has no account: no declaration, but its recommendations are counted
    assert rows["قم"]["years"] == [] and rows["قم"]["follow_up"]["total"] == 6
    # the scope: another province sees none of these
    assert organisation.table((town("قم").province_id + 1000,)) == []
    assert accuracy(municipality_id=town("دستجرد").id) == dastjerd["years"]


def test_the_overview_and_the_municipality_page_show_them(reviewer, demo_app):
    page = reviewer.get("/dashboard/?lang=en").text
    assert 'id="organisation"' in page and "Declaration accuracy by cycle" in page
    with demo_app.app_context():
        dastjerd = town("دستجرد").id
        share = organisation.of_municipality(dastjerd, town("دستجرد").province_id)["share"]
    assert f'data-organisation="{dastjerd}"' in page
    assert f"{share}% confirmed" in page
    history = reviewer.get(f"/dashboard/municipalities/{dastjerd}?lang=en").text
    assert 'id="organisation"' in history and f"{share}% confirmed" in history
