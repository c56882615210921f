"""The default object store: a folder on the local disk (``.data/objects``).

Each object is one file at ``<root>/<key>``. A write goes to a hidden temporary file in
the same folder, is fsynced, then renamed over the final name: a reader sees the whole old
object or the whole new one, never a part, and a crash leaves at worst a ``.*.part`` file
(never a valid key, so never served). File I/O runs in worker threads through anyio, so
the event loop never blocks on the disk.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path

import anyio
import anyio.to_thread

from crm_chassis.storage import CHUNK_SIZE, InvalidKey, ObjectMissing, check_key


class LocalFolder:
    """Objects as files under ``root`` (created on first write)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().resolve()

    def path_for(self, key: str) -> Path:
        """The file of ``key``; :class:`InvalidKey` for any key that could leave the root."""
        path = self.root / check_key(key)
        # Belt and braces: even a symlinked folder under the root cannot lead outside it.
        if not path.resolve().is_relative_to(self.root):
            raise InvalidKey(f"object key {key!r} leaves the store")
        return path

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> int:
        path = self.path_for(key)
        await anyio.to_thread.run_sync(lambda: path.parent.mkdir(parents=True, exist_ok=True))
        temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.part")
        size = 0
        try:
            async with await anyio.open_file(temp, "xb") as out:
                async for chunk in chunks:
                    await out.write(chunk)
                    size += len(chunk)
                await out.flush()
                await anyio.to_thread.run_sync(os.fsync, out.wrapped.fileno())
            await anyio.to_thread.run_sync(os.replace, temp, path)
        except BaseException:
            await anyio.to_thread.run_sync(lambda: temp.unlink(missing_ok=True))
            raise
        return size

    async def get_stream(self, key: str) -> AsyncIterator[bytes]:
        path = self.path_for(key)
        try:
            handle = await anyio.open_file(path, "rb")
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise ObjectMissing(key) from exc

        async def read() -> AsyncIterator[bytes]:
            async with handle:
                while chunk := await handle.read(CHUNK_SIZE):
                    yield chunk

        return read()

    async def delete(self, key: str) -> None:
        path = self.path_for(key)
        await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))

    async def exists(self, key: str) -> bool:
        path = self.path_for(key)
        return await anyio.to_thread.run_sync(path.is_file)
