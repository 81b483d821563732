extension HeaderRules {
    static let keys = ["set", "add", "remove"]

    /// Which message the rules edit; only requests must keep their Host header.
    enum Direction {
        case request
        case response
    }

    /// Headers the proxy itself maintains: hop-by-hop fields (RFC 9110 §7.6.1) and the message
    /// framing fields. Letting a rule change them would corrupt framing or connection handling.
    static let proxyManagedNames: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "content-length",
    ]

    static func read(from node: ConfigNode, direction: Direction) -> HeaderRules? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        let set = map.optional("set").flatMap { readFields(from: $0, operation: "set", direction: direction) }
        let add = map.optional("add").flatMap { readFields(from: $0, operation: "add", direction: direction) }
        let remove = map.optional("remove").flatMap { readRemovals(from: $0, direction: direction) }
        var rules = HeaderRules()
        if let set { rules.set = set }
        if let add { rules.add = add }
        if let remove { rules.remove = remove }
        return rules
    }

    static func parseName(_ text: String) throws(ValueSyntaxError) -> String {
        guard HTTPFieldSyntax.isToken(text) else {
            throw ValueSyntaxError(
                "\"\(text)\" is not a valid header name; names are letters, digits and !#$%&'*+-.^_`|~ with no spaces or colons"
            )
        }
        return text
    }

    private static func readFields(from node: ConfigNode, operation: String, direction: Direction) -> [HeaderField]? {
        guard let entries = node.entries() else {
            return nil
        }
        var fields: [HeaderField] = []
        var firstPositions: [String: SourcePosition] = [:]
        var valid = true
        for entry in entries {
            let name = entry.keyNode.parsed(expected: "a header name", by: parseName)
            let values = readValues(from: entry.value)
            guard let name, let values else {
                valid = false
                continue
            }
            let lowercased = name.lowercased()
            if let problem = operationProblem(operation, name: lowercased, direction: direction) {
                entry.keyNode.report("\"\(name)\" \(problem)")
                valid = false
                continue
            }
            // `set` replaces, so naming a header twice (in any case) would silently keep only one.
            if operation == "set", let first = firstPositions[lowercased] {
                entry.keyNode.report(
                    "header \"\(name)\" is already set at line \(first.line), column \(first.column) (header names ignore case)"
                )
                valid = false
                continue
            }
            firstPositions[lowercased] = entry.keyNode.position
            fields += values.map { HeaderField(name: name, value: $0) }
        }
        return valid ? fields : nil
    }

    private static func readRemovals(from node: ConfigNode, direction: Direction) -> [String]? {
        guard let items = node.list() else {
            return nil
        }
        let names = items.compactMap { item -> String? in
            guard let name = item.parsed(expected: "a header name", by: parseName) else {
                return nil
            }
            if let problem = operationProblem("remove", name: name.lowercased(), direction: direction) {
                item.report("\"\(name)\" \(problem)")
                return nil
            }
            return name
        }
        return names.count == items.count ? names : nil
    }

    /// One value, or a list of values for a header that appears several times
    /// (`Set-Cookie: [a=1, b=2]`): one field line each, in list order.
    private static func readValues(from node: ConfigNode) -> [String]? {
        guard case .sequence = node.node else {
            return readValue(from: node).map { [$0] }
        }
        guard let items = node.list() else {
            return nil
        }
        guard !items.isEmpty else {
            node.report("expected at least one header value; use remove to delete a header")
            return nil
        }
        let values = items.compactMap(readValue(from:))
        return values.count == items.count ? values : nil
    }

    /// A header value is any scalar, numbers and booleans included (`X-Retries: 3`), possibly empty.
    private static func readValue(from node: ConfigNode) -> String? {
        guard case .scalar(let scalar) = node.node, !node.isNull else {
            let hint = node.isNull ? "; write \"\" for an empty value" : ""
            node.report("expected a header value, found \(node.kindDescription)\(hint)")
            return nil
        }
        guard HTTPFieldSyntax.isFieldValue(scalar.string) else {
            node.report("header value contains control characters (such as a line break), which HTTP forbids")
            return nil
        }
        return scalar.string
    }

    /// Why `operation` may not touch header `name` (lowercased), or nil when it may.
    private static func operationProblem(_ operation: String, name: String, direction: Direction) -> String? {
        if proxyManagedNames.contains(name) {
            return "is maintained by the proxy itself (connection handling and message framing) and cannot be changed by header rules"
        }
        if name == "host", direction == .request {
            switch operation {
            case "add": return "cannot be added: a request has exactly one Host; use set to replace it"
            case "remove": return "cannot be removed: HTTP/1.1 requests need a Host; use set to replace it"
            default: return nil
            }
        }
        return nil
    }
}
