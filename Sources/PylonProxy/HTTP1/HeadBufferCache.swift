package import NIOCore

/// Buffers that serialised heads go out in, kept for reuse by one event loop.
///
/// Every proxied request writes two heads (the request upstream, the response to the
/// client), and a fresh `ByteBuffer` for each costs two allocations and their frees. A
/// buffer handed to the channel is given back here straight away, and handed out again
/// oldest first. The channels' flushes wait for the end of the loop's tick
/// (`EndOfTickFlushes`), so the buffers of the tick's heads are still held by their
/// channels until it ends. Kept in order of return and with room for a busy tick's heads,
/// the one handed out next is one an earlier tick wrote and let go, so `clear()` finds it
/// uniquely referenced and reuses its memory. If a channel still holds it (a write not yet
/// flushed or only partly written), `clear()` copies on write and the pending bytes stay
/// intact: value semantics make reuse safe either way.
///
/// Its stored properties skip Swift's dynamic exclusivity checks (`@exclusivity(unchecked)`):
/// it lives on one event loop and is only touched there, in code that never holds one of
/// them across a call back into the same object. The checks cost a thread-local lookup
/// per access, about 180 per proxied request across the request path's objects.
package final class HeadBufferCache {
    @exclusivity(unchecked) private var spare = CircularBuffer<ByteBuffer>(initialCapacity: maxSpare)
    /// Two heads per request, for the requests one tick serves (15–20 under a load of 50
    /// connections), with room to spare. The usual head's buffer is 512 bytes or 1 KiB,
    /// so this pins some 64 KiB per event loop, and 512 KiB at the very most.
    private static let maxSpare = 64
    /// Larger buffers (a head with a big body piece held after it, a huge header block)
    /// are not kept, so the cache never pins much memory.
    private static let maxKeptCapacity = 8 * 1024

    package init() {}

    /// An empty buffer with room for at least `capacity` bytes.
    package func buffer(capacity: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard var buffer = self.spare.popFirst() else { return allocator.buffer(capacity: capacity) }
        buffer.clear(minimumCapacity: capacity)
        return buffer
    }

    /// Keeps `buffer` for a later head; call it once the buffer was written to a channel.
    package func recycle(_ buffer: ByteBuffer) {
        guard self.spare.count < Self.maxSpare, buffer.capacity <= Self.maxKeptCapacity else { return }
        self.spare.append(buffer)
    }
}
