"""Log in, log out, change password, and the user's own sessions.

Thin: the login mechanics live in :mod:`app.auth.sessions` (revocable sessions, remember
cookies) and :mod:`app.auth.protection` (failed-login counters, known devices).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app import access, audit, errors, limits
from app.auth import protection, sessions
from app.db import writing
from app.extensions import db, login_manager
from app.i18n import _, digits, list_separator
from app.models import User
from app.models._types import utcnow
from app.redirects import redirect_to_next
from forms.auth import ChangePasswordForm, ConfirmForm, LoginForm

bp = Blueprint("auth", __name__)

#: what a user who must change their password may still reach
OPEN_WHILE_MUST_CHANGE = frozenset({
    "auth.change_password", "auth.logout", "main.set_language", "main.service_worker",
    "main.manifest", "static", "font", "admin.static"})


@login_manager.unauthorized_handler
def _unauthorized():
    """Pages redirect to the login; the tablet's background saves get a 401 they can read
    (their queue is kept and sent again after the inspector logs in)."""
    if errors.wants_json():
        return errors.respond(401)
    flash(_("Please log in to see this page."), "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


@bp.before_app_request
def _must_change_password():
    """A user with a temporary password reaches nothing but the password page (and logout)
    until they have chosen their own."""
    if request.endpoint in OPEN_WHILE_MUST_CHANGE or request.endpoint is None:
        return None
    if not (current_user.is_authenticated and current_user.must_change_password):
        return None
    message = _("Choose your own password first: the one you were given is temporary.")
    if errors.wants_json():
        return errors.respond(403, message, must_change_password=True)
    flash(message, "info")
    return redirect(url_for("auth.change_password"))


def _wait_text(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    shown = digits(minutes)
    return _("Too many failed logins. Try again in %(minutes)s minutes, or from a device you "
             "have logged in with before.", minutes=shown)


@bp.route("/login", methods=["GET", "POST"])
@access.route("public")
@limits.limit("login", methods=["POST"], key=protection.flood_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    username = form.username.data.strip().lower()
    user = db.session.scalar(select(User).where(User.username == username))
    attempt = protection.attempt_for(username, user)
    wait = protection.wait_seconds(attempt)
    if wait is not None:
        flash(_wait_text(wait), "error")
        return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}
    if user is None or not user.active:
        User.check_no_password(form.password.data)  # as long as a real check
        ok = False
    else:
        ok = user.check_password(form.password.data)
    if not ok:
        protection.failed(attempt)
        flash(_("Wrong username or password."), "error")
        return render_template("auth/login.html", form=form), 401
    protection.succeeded(attempt, user)
    with writing():
        user = db.session.get(User, user.id)
        user.last_login_at = utcnow()
        row = sessions.log_in(user, remember=bool(form.remember.data))
        audit.record("user.login", "user", user.id, user=user, session=row.id,
                     remembered=row.remembered)
    if user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return redirect_to_next(request.args.get("next"), url_for("main.home"))


@bp.route("/logout", methods=["POST"])
@access.route("public")
def logout():
    """Log out everywhere: every session and remember cookie of this user ends."""
    sessions.log_out()
    flash(_("You have logged out, on this device and every other."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@access.route("account")
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("The current password is not right."))
        elif form.new.data == form.current.data:
            form.new.errors.append(_("Choose a password different from the current one."))
        else:
            with writing():
                user = db.session.get(User, current_user.id)
                user.set_password(form.new.data)
                user.must_change_password = False
                sessions.renew_after_password_change(user)
                audit.record("user.password", "user", user.id, user=user)
            flash(_("Your password has been changed. Every other session of yours has "
                    "ended."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form)


@bp.route("/account/sessions", methods=["GET"])
@access.route("account")
@login_required
def account_sessions():
    """Where the user sees the devices logged in as them, and ends any of them."""
    current = sessions.current_row()
    rows = sessions.active_sessions(current_user)
    return render_template("auth/sessions.html", rows=rows, current_id=current.id if current
                           else None, confirm=ConfirmForm(), describe=describe_device)


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@access.route("account")
@login_required
def end_session(session_id: int):
    if not ConfirmForm().validate_on_submit():
        return errors.respond(400)
    current = sessions.current_row()
    with writing():
        ended = sessions.end_one(db.session.get(User, current_user.id), session_id)
    if not ended:
        return errors.respond(404)
    if current is not None and current.id == session_id:
        sessions.log_out_here()
        flash(_("This session has ended. Log in again to continue."), "info")
        return redirect(url_for("auth.login"))
    flash(_("That session has ended: the device is logged out."), "success")
    return redirect(url_for("auth.account_sessions"))


@bp.route("/account/sessions/end-others", methods=["POST"])
@access.route("account")
@login_required
def end_other_sessions():
    if not ConfirmForm().validate_on_submit():
        return errors.respond(400)
    with writing():
        user = db.session.get(User, current_user.id)
        count = sessions.end_all(user, "ended", keep_current=True)
        audit.record("user.sessions_end", "user", user.id, user=user, sessions=count)
    flash(_("Every other session has ended."), "success")
    return redirect(url_for("auth.account_sessions"))


def describe_device(user_agent: str) -> str:
    """A short name for the browser and system of a User-Agent ("Chrome, Android")."""
    agent = user_agent or ""
    browser = next((name for key, name in (
        ("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"), ("Safari/", "Safari")) if key in agent), None)
    system = next((name for key, name in (
        ("Android", "Android"), ("iPad", "iPad"), ("iPhone", "iPhone"), ("Windows", "Windows"),
        ("Mac OS", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux")) if key in agent), None)
    parts = [p for p in (browser, system) if p]
    return list_separator().join(parts) if parts else _("Unknown device")
