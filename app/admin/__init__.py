"""Administration, one package per concern, each with its own views and services:

- ``users``: accounts, roles, province or municipality, passwords, import from CSV/XLSX;
- ``places``: provinces and municipalities, their profiles and their import;
- ``cycles``: evaluation cycles (national), opening, closing, the declaration deadline;
- ``planning``: a cycle's evaluations, assignments, due dates and tiers;
- ``audit``: the audit trail in plain words, and its CSV.

``tables`` reads the imported files for both imports; ``common`` holds the blueprint, the
loading of objects the administrator may run and the one paginator; ``views`` the home page
and the assembly. Who may do what is app.access's.
"""
