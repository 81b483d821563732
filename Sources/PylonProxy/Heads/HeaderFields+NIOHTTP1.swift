public import NIOHTTP1

extension HeaderFields {
    /// The fields of NIOHTTP1's `headers`, in order.
    public init(_ headers: HTTPHeaders) {
        self.init()
        self.reserveCapacity(headers.count)
        for (name, value) in headers { self.add(name: name, value: value) }
    }
}

extension HTTPHeaders {
    /// The fields of `fields`, in order, for code that speaks NIOHTTP1 (nio-http2's codecs).
    public init(_ fields: HeaderFields) {
        self.init(Array(fields.lazy.map { ($0.name, $0.value) }))
    }
}
