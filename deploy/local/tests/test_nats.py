"""EmbeddedNats: JetStream survives a stop/start on the same port and store."""

from collections.abc import Callable

import nats
from crm_local.nats import EmbeddedNats
from crm_local.ports import port_is_open


async def test_stop_start_keeps_jetstream_store(
    nats_factory: Callable[[], EmbeddedNats],
) -> None:
    server = nats_factory()
    url = server.url
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(name="CRM", subjects=["crm.>"])
    for n in range(3):
        await js.publish(f"crm.test.n{n}", b"{}", headers={"Nats-Msg-Id": f"m{n}"})
    await nc.close()

    server.stop()
    assert not server.is_running()
    assert server.port is not None and not port_is_open(server.port)

    assert server.start() == url
    nc = await nats.connect(url)
    info = await nc.jetstream().stream_info("CRM")
    assert info.state.messages == 3
    await nc.close()


async def test_nats_url_fixture(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    account = await nc.jetstream().account_info()  # JetStream is enabled
    assert account is not None
    await nc.close()
