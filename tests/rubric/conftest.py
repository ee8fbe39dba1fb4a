import pytest

from app.rubric import load_rubric

from .base import BASE


@pytest.fixture
def base_rubric():
    return load_rubric(BASE, filename="base.yaml")
