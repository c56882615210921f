"""LocalFolder: whole objects or nothing, and no key ever leaves its folder."""

import os

import pytest
from crm_chassis.storage import InvalidKey, ObjectMissing, check_key
from crm_chassis.storage.local import LocalFolder


async def chunks(*parts: bytes):
    for part in parts:
        yield part


async def read_all(store, key: str) -> bytes:
    return b"".join([c async for c in await store.get_stream(key)])


async def test_an_object_round_trips_in_chunks(tmp_path):
    store = LocalFolder(tmp_path)
    big = os.urandom(200_000)
    size = await store.put_stream("t1/a1", chunks(b"head", big), content_type="x/y")
    assert size == 4 + len(big)
    assert await store.exists("t1/a1")
    assert await read_all(store, "t1/a1") == b"head" + big
    assert [p.name for p in (tmp_path / "t1").iterdir()] == ["a1"]  # no temp file left


async def test_a_failing_stream_leaves_nothing_and_keeps_the_old_object(tmp_path):
    store = LocalFolder(tmp_path)
    await store.put_stream("t/a", chunks(b"old"), content_type="text/plain")

    async def broken():
        yield b"new partial content"
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        await store.put_stream("t/a", broken(), content_type="text/plain")
    assert await read_all(store, "t/a") == b"old"
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["a"]


async def test_missing_objects(tmp_path):
    store = LocalFolder(tmp_path)
    with pytest.raises(ObjectMissing):
        await store.get_stream("t/none")
    assert not await store.exists("t/none")
    await store.delete("t/none")  # deleting what is not there is fine
    await store.put_stream("t/x", chunks(b"1"), content_type="text/plain")
    await store.delete("t/x")
    assert not await store.exists("t/x")


EVIL_KEYS = [
    "../outside",
    "t/../../outside",
    "/etc/passwd",
    "t//a",
    "t/./a",
    "..",
    ".",
    "",
    "t/.hidden",
    "t\\..\\outside",
    "t/a\x00b",
    "t/%2e%2e/x",
    "t/a b",
    "C:/windows",
    "~/x",
    "t/" + "a" * 200,
]


@pytest.mark.parametrize("key", EVIL_KEYS)
async def test_no_key_can_leave_the_root(tmp_path, key):
    root = tmp_path / "root"
    store = LocalFolder(root)
    with pytest.raises(InvalidKey):
        await store.put_stream(key, chunks(b"pwned"), content_type="text/plain")
    for op in (store.get_stream, store.delete, store.exists):
        with pytest.raises(InvalidKey):
            await op(key)
    assert not (tmp_path / "outside").exists()
    assert not root.exists() or not any(root.rglob("*"))


async def test_a_symlink_under_the_root_cannot_lead_outside(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (root / "t").symlink_to(tmp_path / "elsewhere")
    store = LocalFolder(root)
    with pytest.raises(InvalidKey):
        await store.put_stream("t/a", chunks(b"x"), content_type="text/plain")
    assert not any((tmp_path / "elsewhere").iterdir())


def test_plain_keys_are_accepted():
    assert check_key("0192f0c1-aaaa/0192f0c1-bbbb") == "0192f0c1-aaaa/0192f0c1-bbbb"
    assert check_key("a.b_c-d") == "a.b_c-d"
