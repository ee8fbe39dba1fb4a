"""Arzyab (ارزیاب): evaluating the performance of municipalities.

Importing ``app`` is cheap and pulls in no Flask: the pure packages (``app.rubric.model``,
``app.scoring``) are usable on their own. The web application comes from :func:`create_app`.
"""


def create_app(config=None):
    """Build the Flask application; see :mod:`app.factory`."""
    from app.factory import create_app as _create_app

    return _create_app(config)
