"""Small column helpers shared by the models."""

import datetime as dt

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class UTCDateTime(TypeDecorator):
    """A naive UTC timestamp in the database (portable between SQLite and PostgreSQL)."""

    impl = DateTime
    cache_ok = True
