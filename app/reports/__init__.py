"""PDF reports: the evaluation report (like the Dastjerd assessment) and the province
comparison for a cycle.

``context`` builds plain-dict contexts (no ORM objects reach the templates), ``charts`` the bar
chart data, ``render`` turns HTML into PDF in a child process behind a locked url_fetcher, and
``services`` decides what is rendered fresh (drafts) and what is stored once (approved finals).
``finals`` freezes, renders, signs and reads the finals, ``batch`` renders them through the job
queue or in process, and ``settings`` holds what every render takes from the configuration.

Imports run one way: ``views`` and ``cli`` → ``services`` → ``batch`` → ``finals`` →
``settings`` → ``context``, ``render`` and ``slots`` (``verify`` reads ``services`` and
``finals``); ``tests/test_structure.py`` fails on an import cycle.
"""
