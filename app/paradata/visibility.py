"""Who may see what is recorded about a visit. The one rule: views, the dashboard and the
exports ask :func:`may_see` and nothing else.

It asks the access module for who may see the evaluation at all, and adds what paradata
needs on top (today's roles: the reviewer doubles as the province manager)."""

from __future__ import annotations

from app.evaluations import access

#: what can be asked about: the flags (reviewers, managers, admins), the visit's record (also
#: the inspectors whose visit it is) and the exports of paradata (managers and admins)
WHAT = ("flags", "record", "export")


def may_see(user, what: str, evaluation=None) -> bool:
    """Whether `user` may see `what` ("flags", "record" or "export") of `evaluation`;
    "export" without an evaluation asks whether the user may export paradata at all."""
    if what not in WHAT:
        raise ValueError(what)
    if user is None or not user.is_authenticated:
        return False
    if what == "export":
        allowed = user.has_role("admin", "reviewer")
    elif what == "flags":
        allowed = user.has_role("admin", "reviewer")
    else:
        allowed = user.has_role("admin", "reviewer", "inspector")
    return allowed and (evaluation is None or access.can_view(user, evaluation))
