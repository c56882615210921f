"""A service process runs the cyclic collector tuned for serving requests."""

import gc

from crm_chassis.app import YOUNG_THRESHOLD, create_service_app
from crm_chassis.settings import ServiceSettings
from crm_local.postgres import database_url
from crm_testing.service import running


async def test_a_started_service_freezes_its_startup_objects_and_collects_young_ones_rarely(
    postgres_url, nats_factory
):
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)  # CPython's defaults, whatever ran before in this process
    settings = ServiceSettings(
        database_url=database_url(postgres_url, "chassis_tests"),
        nats_url=nats_factory().url,
        run_background=False,
    )
    app = create_service_app(name="chassis-gc-test", settings=settings, routers=[])
    async with running(app):
        assert gc.get_threshold() == YOUNG_THRESHOLD
        assert gc.get_freeze_count() > 10_000  # the modules, classes and functions loaded
