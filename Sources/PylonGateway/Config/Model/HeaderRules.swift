/// Edits applied to a message's headers: `remove` first, then `set`, then `add`.
///
/// Lists keep the file's order so the edits happen in the order the operator wrote them.
public struct HeaderRules: Sendable, Equatable {
    /// Headers to replace (every existing field of that name goes) (`set`); default none.
    /// A name written with a list of values (`Vary: [Accept, Origin]`) becomes one field per value.
    public var set: [HeaderField]
    /// Headers to append, keeping existing fields of that name (`add`); default none. A list
    /// of values adds one field per value, in order.
    public var add: [HeaderField]
    /// Names of headers to delete, any case (`remove`); default none.
    public var remove: [String]

    public init(set: [HeaderField] = [], add: [HeaderField] = [], remove: [String] = []) {
        self.set = set
        self.add = add
        self.remove = remove
    }

    /// True when the rules change nothing, so callers can skip the work.
    public var isEmpty: Bool {
        self.set.isEmpty && add.isEmpty && remove.isEmpty
    }
}

/// One header name and value from the config.
public struct HeaderField: Sendable, Equatable {
    /// Header name as written (an HTTP token; compare case-insensitively).
    public var name: String
    /// Header value as written (no control characters).
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
