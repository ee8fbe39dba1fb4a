"""The flags' thresholds are configuration, checked at start-up like every other key."""

import pytest

from app import create_app
from app.config import ConfigError


@pytest.mark.parametrize("key, value", [
    ("FLAG_FAST_SHARE", 0), ("FLAG_FAST_SHARE", 1.5), ("FLAG_FAR_KM", -1),
    ("FLAG_FAR_KM", "far"), ("FLAG_PHOTO_SLACK_MINUTES", 2.5),
    ("FLAG_SAME_PHOTO_BITS", 40), ("FLAG_CHANGED_AFTER_RETURN", 0),
])
def test_a_threshold_that_cannot_work_stops_the_start(tmp_path, key, value):
    with pytest.raises(ConfigError, match=key):
        create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "DATA_DIR": str(tmp_path),
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db", key: value})
