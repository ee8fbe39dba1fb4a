"""Role checks for views: who may reach a page is decided before the view runs.

``roles_required("admin")`` guards one view; ``require_roles("admin")`` does the same check
for a whole blueprint from ``before_request``. Anonymous visitors are sent to the login page;
logged-in users without the role (or deactivated since they logged in) get 403.
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from app.extensions import login_manager


def require_roles(*roles: str) -> None:
    """Abort unless the current user is logged in, active and holds one of `roles`."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not current_user.is_active or not current_user.has_role(*roles):
        abort(403)


def roles_required(*roles: str):
    """Decorate a view so that only users holding one of `roles` reach it."""

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            require_roles(*roles)
            return view(*args, **kwargs)

        return guarded

    return decorator
