"""The same year on real PostgreSQL: the grouping statements (a CASE per month boundary,
a CASE in the attendance key) must run there as on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from phonghop.config import Settings
from tests.conftest import make_settings
from tests.statistics.conftest import ZONE
from tests.statistics.test_statistics import (  # noqa: F401  (collected here again, on PostgreSQL)
    test_every_figure_of_the_year,
    test_the_period_is_read_in_the_office_time_zone,
    year,
)

pytestmark = pytest.mark.usefixtures("configured")


@pytest.fixture
def settings(tmp_path: Path, migrated_postgres_url: str) -> Settings:
    return make_settings(tmp_path / "data", migrated_postgres_url, timezone=ZONE)
