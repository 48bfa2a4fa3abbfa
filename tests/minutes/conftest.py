"""The notice service's fixtures (a running app, the seeded body, signed-in office staff and
administrator, the body's notice settings): the minutes are kept for the same meetings."""

from __future__ import annotations

from tests.notices_service import conftest as notices_conftest

base = notices_conftest.base
office = notices_conftest.office
admin = notices_conftest.admin
configured = notices_conftest.configured
