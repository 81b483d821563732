import NIOCore

/// A parser's state, one of whose cases holds the `HTTP1BodyDecoder` of the body being
/// read. The request and response parsers step their decoders through `nextBodyEvent`.
protocol HTTP1BodyDecoderState {
    /// The state while a body is read with `decoder` (the parser's `.body` case).
    static func body(_ decoder: HTTP1BodyDecoder) -> Self
    /// The state once the body has ended.
    static var afterBody: Self { get }
    /// The decoder, while a body is read.
    var bodyDecoder: HTTP1BodyDecoder? { get }
}

extension HTTP1BodyDecoderState {
    /// The next event of the body being read, or nil when more bytes are needed (or no
    /// body is being read). After `.end` (or an error) the state is `afterBody`.
    mutating func nextBodyEvent(_ buffer: inout ByteBuffer) throws(RequestParseError) -> HTTP1BodyDecoder.Event? {
        guard var decoder = self.bodyDecoder else { return nil }
        // Moved out of the state while it works, so its storage is not copied on write.
        self = .afterBody
        let event = try decoder.next(&buffer)
        if case .end = event { return event }
        self = .body(decoder)
        return event
    }
}
