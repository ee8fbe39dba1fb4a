"""The dashboard pages and exports. Thin: read the filters, ask ``queries``, render.

Who reaches them and what each row, export and file holds is app.access's: reviewers,
directors-general (managers) and admins, the guard on the whole blueprint; a user with a
province sees that province's rows, one with none every province; the answers export and the
ZIP of finals hold only the evaluations the user may open. Everything is a plain GET form
that works without JavaScript.
"""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from app import access, workflow
from app.dashboard import exports, filters, jobs, organisation, queries, trends
from app.dashboard.presentation import (
    add_marks,
    band_items,
    colour_class,
    comparison_links,
    digits,
    heat,
    heat_cells,
    id_links,
    number,
    options,
    overview_rows,
    query_url,
    ranking_rows,
    signed,
    status_title,
    status_titles,
    web_chart,
)
from app.extensions import db
from app.i18n import _, current_lang, jalali_datetime, local_time
from app.models import Municipality
from app.reports import charts
from app.reports.render import RendererBusy
from app.reports.views import not_now

#: registered under /dashboard by the factory
bp = Blueprint("dashboard", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


access.guard(bp, "dashboard")


@bp.context_processor
def _helpers():
    return {"status_title": status_title, "status_titles": status_titles, "signed": signed,
            "num": number, "options": options, "overview_rows": overview_rows,
            "query_url": query_url, "id_links": id_links,
            "ranking_rows": ranking_rows}


def _filters() -> tuple[filters.Filters, queries.Legend, dict]:
    """The checked filters of this request, the cycle's legend, and the form's choices."""
    scope = queries.province_scope(current_user)
    offered = queries.choices(scope, filters.requested_year(request.args))
    cycles, provinces = offered.cycles, offered.provinces
    legends: dict = {}

    def legend_for(cycle_id):
        if cycle_id not in legends:
            legends[cycle_id] = offered.legend(cycle_id)
        return legends[cycle_id]

    f = filters.parse(request.args, scope=scope, cycles=cycles,
                      provinces=[pid for pid, _name in provinces], legend_for=legend_for)
    legend = legend_for(f.cycle_id)
    choices = {"years": [year for _id, year in cycles], "cycles": cycles,
               "provinces": provinces,
               "counties": offered.counties(f.provinces), "tiers": legend.tiers,
               "bands": legend.bands, "statuses": filters.STATUSES}
    return f, legend, choices


@bp.route("/")
def overview():
    f, legend, choices = _filters()
    page = queries.overview(f, legend, user=current_user)
    _overview_texts(page.rows, legend)
    counts = queries.status_counts(f)
    return render_template("dashboard/overview.html", f=f, choices=choices, page=page,
                           counts=counts, total=sum(counts.values()), legend=legend,
                           comparison=comparison_links(f, choices["provinces"]),
                           organisation=organisation.table(
                               queries.province_scope(current_user)))


def _overview_texts(rows: list[dict], legend: queries.Legend) -> None:
    """What the overview's rows show beyond the figures read: links, texts, marks."""
    answered = _("%(n)s of %(total)s answered")  # the template, filled in per row below
    town_link = id_links("dashboard.municipality", "municipality_id")
    evaluation_link = id_links("evaluations.show", "evaluation_id")
    pdf_link = id_links("reports.evaluation_pdf", "evaluation_id")
    language = current_lang()
    for row in rows:
        row["href"] = town_link(row["municipality_id"])
        row["updated_text"] = (jalali_datetime(row["updated_at"], language)
                               if row["evaluation_id"] else "—")
        if row["viewable"]:
            row["evaluation_href"] = evaluation_link(row["evaluation_id"])
            row["pdf_href"] = pdf_link(row["evaluation_id"])
        row["heat"] = heat(row["score"], row["band"], legend.colours)
        row["raw_text"] = number(row["raw_score"])
        row["progress"] = (answered % {"n": digits(row["answered_count"]),
                                       "total": digits(row["applicable_count"])}
                           if row["evaluation_id"] and not workflow.is_locked_state(
                               row["status"]) and row["applicable_count"] else "")
    add_marks(rows)


@bp.route("/ranking")
def ranking():
    f, legend, choices = _filters()
    statistics = queries.peer_statistics(f)
    cycles = choices["cycles"]
    page = queries.ranking(f, legend, statistics=statistics, cycles=cycles)
    units = queries.unit_scores(r["evaluation_id"] for r in page.rows)
    _ranking_texts(page.rows, legend, units)
    averages = queries.tier_averages(statistics, legend)
    chart = web_chart(charts.bar_chart(
        [charts.bar(a["title"], a["average"], a["raw_average"], a["band"], legend.colours)
         for a in averages], legend.colours))
    return render_template("dashboard/ranking.html", f=f, choices=choices, page=page,
                           legend=legend, averages=averages, chart=chart,
                           comparison=comparison_links(f, choices["provinces"]),
                           legend_items=band_items(legend.bands, legend.colours,
                                                   legend.band_mins),
                           previous=queries.previous_cycle(f, cycles),
                           in_tier=_("%(n)s in this tier"))  # filled in per group


def _ranking_texts(rows: list[dict], legend: queries.Legend, units: dict) -> None:
    """What the ranking's rows show beyond the figures read: links, texts, unit cells,
    marks."""
    of = _("of %(n)s")  # the template, filled in per row below
    unit_ids = [unit_id for unit_id, _title in legend.units]
    town_link = id_links("dashboard.municipality", "municipality_id")
    language = current_lang()  # asked once for the page, not per figure
    cells = heat_cells(legend.colours, language)
    for row in rows:
        row["href"] = town_link(row["municipality_id"])
        row["of_text"] = of % {"n": digits(row["peers"], language)}
        row["colour_class"] = colour_class(row["colour"])
        row["change_text"] = signed(row["change"], language)
        row["cells"] = cells(units.get(row["evaluation_id"], {}), unit_ids)
        # the figures formatted here, once each (a template call per figure costs more)
        row["texts"] = {key: number(row[key], language) for key in (
            "score", "raw_score", "tier_average", "province_average", "previous_score")}
        row["texts"]["rank"] = digits(row["rank"], language)
        row["texts"]["raw_rank"] = digits(row["raw_rank"], language)
    add_marks(rows)


@bp.route("/municipalities/<int:municipality_id>")
def municipality(municipality_id: int):
    town = db.session.get(Municipality, municipality_id)
    if town is None or not access.may_see_province(current_user, town.province_id):
        abort(404)
    history = queries.history(town.id)
    latest_cycle = history[-1]["cycle_id"] if history else None
    legend = queries.legend(latest_cycle)
    units = queries.unit_scores(h["evaluation_id"] for h in history)
    viewable = queries.viewable(current_user, [h["evaluation_id"] for h in history])
    inspectors = queries.inspectors_of(h["evaluation_id"] for h in history)
    for h in history:
        h["viewable"] = h["evaluation_id"] in viewable
        h["inspectors"] = inspectors.get(h["evaluation_id"], [])
        h["tier_title"] = legend.tier_title(h["tier_id"])
        h["heat"] = heat(h["score"], h["band"], legend.colours)
    report = trends.last_report(history)
    follow = None
    if report is not None:
        following = trends.next_evaluation(history, report)
        follow = {"report": report, "next": following,
                  "items": trends.follow_up(queries.recommendations(report["evaluation_id"]),
                                            report, following, units, legend, _today())}
    tier = legend.rubric.tier_for(town.grade, town.population) if legend.rubric else None
    return render_template(
        "dashboard/municipality.html", town=town, history=history, legend=legend,
        tier=tier, trend=trends.trend(history, units, legend),
        movers=trends.movers(history, units, legend), follow=follow,
        organisation=organisation.of_municipality(town.id, town.province_id))


def _today() -> dt.date:
    """Today in Iran (deadlines are Iranian dates)."""
    return local_time(dt.datetime.now(dt.UTC)).date()


# --- exports -----------------------------------------------------------------------------------

def _download(body: bytes, filename: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.headers["Cache-Control"] = "no-store"
    return response


def _export(columns, rows, fmt: str, name: str, sheet: str) -> Response:
    if fmt == "csv":
        return _download(exports.to_csv(columns, rows), f"{name}.csv", "text/csv")
    return _download(exports.to_xlsx(columns, rows, sheet), f"{name}.xlsx", XLSX)


@bp.route("/export/overview.<any(csv, xlsx):fmt>")
def export_overview(fmt: str):
    f, legend, _choices = _filters()
    columns, rows = exports.overview_table(queries.overview_all(f, legend))
    return _export(columns, rows, fmt, f"arzyab-{f.year or 'none'}-overview",
                   _("Overview %(year)s", year=digits(f.year or "")))


@bp.route("/export/answers.csv")
def export_answers_csv():
    """Every answer of the filtered evaluations, streamed as it is read (constant memory;
    the download starts at once, even for the whole country)."""
    f, _legend, _choices = _filters()
    columns, rows = exports.answers_table(f, current_user)
    response = Response(stream_with_context(exports.csv_chunks(columns, rows)),
                        mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment",
                         filename=f"arzyab-{f.year or 'none'}-answers.csv")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/export/answers.xlsx", methods=["GET", "POST"])
def export_answers_xlsx():
    """Every answer as XLSX, built in the background (tens of seconds for the country): GET
    offers to start it, POST starts it and shows its progress."""
    f, _legend, _choices = _filters()
    if request.method == "GET":
        return render_template("dashboard/export_start.html", f=f)
    token = jobs.start_answers_xlsx(current_user, request.args.to_dict(flat=True),
                                    current_lang(),
                                    f"arzyab-{f.year or 'none'}-answers.xlsx")
    return redirect(url_for(".export_job", token=token))


@bp.route("/exports/<token>")
def export_job(token: str):
    job = jobs.state(token, current_user.id)
    if job is None:
        abort(404)
    return render_template("dashboard/export_job.html", job=job, token=token)


@bp.route("/exports/<token>/file")
def export_file(token: str):
    path = jobs.file_of(token, current_user.id)
    if path is None:
        abort(404)
    response = send_file(path, mimetype=XLSX, as_attachment=True,
                         download_name=jobs.state(token, current_user.id)["filename"])
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/export/reports.zip")
def export_reports():
    f, _legend, _choices = _filters()
    evaluations = queries.final_evaluations(f, current_user)
    if not evaluations:
        flash(_("No final report of this cycle that you may open is issued yet, so there is "
                "nothing to download."), "info")
        return redirect(url_for(".overview", **f.args(page=1)))
    try:
        archive, _count, _failed = exports.reports_zip(evaluations, user=current_user)
    except RendererBusy as error:
        return not_now(error)
    response = send_file(archive, mimetype="application/zip", as_attachment=True,
                         download_name=f"arzyab-{f.year}-reports.zip")
    response.headers["Cache-Control"] = "no-store"
    return response
