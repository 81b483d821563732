extension ConfigMapping {
    /// The one of two mutually exclusive keys that is present (`keys` or `keys_file`, …), with
    /// its value. Reports at the mapping when neither is and `required`, and at the second when
    /// both are; returns nil then.
    func either(_ first: String, or second: String, required: Bool) -> (key: String, value: ConfigNode)? {
        switch (optional(first), optional(second)) {
        case (let value?, nil):
            return (first, value)
        case (nil, let value?):
            return (second, value)
        case (nil, nil):
            if required { node.report("missing required key \"\(first)\" or \"\(second)\"") }
            return nil
        case (_?, let value?):
            value.report("give either \(first) or \(second), not both")
            return nil
        }
    }
}
