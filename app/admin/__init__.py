"""Administration: users, municipalities (and their import), cycles, planning, the audit trail."""
