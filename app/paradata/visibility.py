"""Who may see what is recorded about a visit. The one rule: views, services, the dashboard and
the exports ask :func:`may_see` and nothing else.

It asks the access module who may see the evaluation at all, and adds what paradata needs on
top: which roles see which part (today's roles: the reviewer doubles as the province manager).
"""

from __future__ import annotations

from app.evaluations import access

#: what may be asked, and the roles that may: the flags (reviewers, managers, admins), the
#: visit's record (also the inspectors whose visit it is), explaining a flag (reviewers,
#: admins) and the exports of paradata (managers and admins)
ROLES = {"flags": ("admin", "reviewer"), "record": ("admin", "reviewer", "inspector"),
         "explain": ("admin", "reviewer"), "export": ("admin", "reviewer")}


def may_see(user, what: str, evaluation=None) -> bool:
    """Whether `user` may see (or, for "explain", do) `what` of `evaluation`; without an
    evaluation, whether the user may at all (the export's and the dashboard's question)."""
    if what not in ROLES:
        raise ValueError(what)
    if user is None or not user.is_authenticated or not user.has_role(*ROLES[what]):
        return False
    return evaluation is None or access.can_view(user, evaluation)
