"""The managers' dashboard: the province overview of a cycle, peer rankings within tiers,
municipality pages with their trend, and exports (CSV, XLSX, a ZIP of final reports).

``filters`` reads the GET query against whitelists, ``queries`` aggregates the stored scores
in SQL (never re-scoring on a page view), ``exports`` writes the files, ``views`` stays thin.
"""
