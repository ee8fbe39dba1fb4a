"""Log in, log out, change password."""

from __future__ import annotations

import time
from collections import defaultdict, deque

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from app import audit
from app.db import writing
from app.extensions import db, login_manager
from app.i18n import _
from app.models import User
from app.models._types import utcnow
from forms.auth import ChangePasswordForm, LoginForm

bp = Blueprint("auth", __name__)

# failed logins per (address, username) in the last window; a small in-process limiter
_FAILURES: dict[tuple[str, str], deque] = defaultdict(deque)
MAX_FAILURES, WINDOW_SECONDS = 8, 300


@login_manager.user_loader
def _load_user(user_id: str):
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    # a user deactivated while logged in is logged out at their next request
    return user if user is not None and user.active else None


@login_manager.unauthorized_handler
def _unauthorized():
    """Pages redirect to the login; the tablet's background saves get a 401 they can read
    (their queue is kept and sent again after the inspector logs in)."""
    if request.headers.get("X-Arzyab-Save") or request.accept_mimetypes.best == "application/json":
        return {"error": _("Your session has ended. Log in again; nothing waiting to be sent "
                           "is lost."), "status": 401}, 401
    flash(_("Please log in to see this page."), "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _too_many(key) -> bool:
    attempts, now = _FAILURES[key], time.monotonic()
    while attempts and now - attempts[0] > WINDOW_SECONDS:
        attempts.popleft()
    return len(attempts) >= MAX_FAILURES


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        key = (request.remote_addr or "", form.username.data.lower())
        if _too_many(key):
            abort(429)
        user = db.session.scalar(select(User).where(User.username == form.username.data.lower()))
        if user is None or not user.active or not user.check_password(form.password.data):
            _FAILURES[key].append(time.monotonic())
            flash(_("Wrong username or password."), "error")
            return render_template("auth/login.html", form=form), 401
        _FAILURES.pop(key, None)
        with writing():
            user = db.session.get(User, user.id)
            user.last_login_at = utcnow()
            audit.record("user.login", "user", user.id, user=user)
        login_user(user, remember=form.remember.data)
        if user.must_change_password:
            return redirect(url_for("auth.change_password"))
        target = request.args.get("next", "")
        if not target.startswith("/") or target.startswith("//"):
            target = url_for("main.home")
        return redirect(target)
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("The current password is not right."))
        else:
            with writing():
                user = db.session.get(User, current_user.id)
                user.set_password(form.new.data)
                user.must_change_password = False
                audit.record("user.password", "user", user.id, user=user)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form)
