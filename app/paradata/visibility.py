"""Who may see what is recorded about a visit. The one rule: views, services, the dashboard and
the exports ask :func:`may_see` and nothing else.

It asks the access module (``app.access``) who may see the evaluation at all — a manager their
province's, a reviewer or an inspector the ones assigned to them, an admin their province's or
every one — and adds which roles see which part of the paradata. A municipality's account
holds none of these roles: it never sees paradata, not even of its own issued finals.
"""

from __future__ import annotations

from app import access

#: what may be asked, and the roles that may: the flags (reviewers, managers, admins), the
#: visit's record (also the inspectors whose visit it is), explaining a flag (reviewers,
#: admins) and the exports of paradata (managers and admins)
ROLES = {"flags": ("admin", "manager", "reviewer"),
         "record": ("admin", "manager", "reviewer", "inspector"),
         "explain": ("admin", "reviewer"), "export": ("admin", "manager")}


def may_see(user, what: str, evaluation=None) -> bool:
    """Whether `user` may see (or, for "explain", do) `what` of `evaluation`; without an
    evaluation, whether the user may at all (the export's and the dashboard's question)."""
    if what not in ROLES:
        raise ValueError(what)
    if user is None or not user.is_authenticated or not user.is_active \
            or not user.has_role(*ROLES[what]):
        return False
    return evaluation is None or access.may_view(user, evaluation)
