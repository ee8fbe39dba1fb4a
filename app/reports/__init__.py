"""PDF reports: the evaluation report (like the Dastjerd assessment) and the province
comparison for a cycle.

``context`` builds plain-dict contexts (no ORM objects reach the templates), ``charts`` the bar
chart data, ``render`` turns HTML into PDF in a child process behind a locked url_fetcher, and
``services`` decides what is rendered fresh (drafts) and what is stored once (approved finals).
"""
