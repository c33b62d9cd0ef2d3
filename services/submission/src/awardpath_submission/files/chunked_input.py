"""An upload's chunks read by the sizes its format's structure gives, so that metadata is
removed from a file of any size while holding at most a chunk and the piece being read."""

from collections.abc import AsyncIterable, AsyncIterator

from awardpath_shared.errors import Invalid


def unreadable(detail: str) -> Invalid:
    """The content is not a well-formed file of the type it was found to be."""
    return Invalid("unreadable-file", "Unreadable file", detail)


class ChunkedInput:
    """The bytes of an upload, consumed from the front. `what` arguments name the part being
    read, for the error when the file ends inside it."""

    def __init__(self, chunks: AsyncIterable[bytes]) -> None:
        self._chunks = aiter(chunks)
        # Received and not yet consumed; deleting from a bytearray's front does not copy the rest.
        self.buffer = bytearray()

    async def more(self) -> bool:
        """Appends the next non-empty chunk to the buffer; False once the input has ended."""
        while (chunk := await anext(self._chunks, None)) is not None:
            if chunk:
                self.buffer += chunk
                return True
        return False

    async def peek(self, size: int) -> bytes:
        """Up to `size` next bytes (fewer only at the end), left unconsumed."""
        while len(self.buffer) < size and await self.more():
            pass
        return bytes(self.buffer[:size])

    async def at_end(self) -> bool:
        return not await self.peek(1)

    def take(self, size: int) -> bytes:
        """The first `size` bytes of the buffer, consumed."""
        piece = bytes(self.buffer[:size])
        del self.buffer[:size]
        return piece

    async def read(self, size: int, what: str) -> bytes:
        """Exactly `size` bytes, in memory: for headers and other small, bounded parts."""
        if len(await self.peek(size)) < size:
            raise unreadable(f"the file ends inside {what}")
        return self.take(size)

    async def copy(self, size: int, what: str) -> AsyncIterator[bytes]:
        """Exactly `size` bytes, streamed a chunk at a time."""
        while size > 0:
            if not self.buffer and not await self.more():
                raise unreadable(f"the file ends inside {what}")
            piece = self.take(min(size, len(self.buffer)))
            size -= len(piece)
            yield piece

    async def skip(self, size: int, what: str) -> None:
        async for _ in self.copy(size, what):
            pass

    async def rest(self) -> AsyncIterator[bytes]:
        """Everything left, streamed a chunk at a time."""
        while self.buffer or await self.more():
            yield self.take(len(self.buffer))
