extension RouteAuth {
    static let keys = ["header", "equals_secret", "api_key", "basic", "jwt"]
    private static let schemeKeys = ["api_key", "basic", "jwt"]

    /// Reads `auth`: `{header, equals_secret}`, or a mapping with exactly one scheme key.
    static func read(from node: ConfigNode) -> RouteAuth? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        let schemes = schemeKeys.filter { map.optional($0) != nil }
        let secretHeaderKeys = ["header", "equals_secret"].filter { map.optional($0) != nil }
        switch (schemes.count, secretHeaderKeys.count) {
        case (0, 0):
            // Keys there were all unknown, and each has been reported with the allowed ones.
            if case .mapping(let mapping) = node.node, mapping.isEmpty {
                node.report("auth needs a scheme: api_key, basic, jwt, or header with equals_secret")
            }
            return nil
        case (0, _):
            return readSecretHeader(from: map)
        case (1, 0):
            break
        default:
            let found = (secretHeaderKeys + schemes).joined(separator: ", ")
            node.report(
                "auth takes one scheme: api_key, basic, jwt, or header with equals_secret; found \(found)"
            )
            return nil
        }
        let scheme = schemes[0]
        let value = map.optional(scheme)!
        switch scheme {
        case "api_key": return APIKeyAuthConfig.read(from: value).map(RouteAuth.apiKey)
        case "basic": return BasicAuthConfig.read(from: value).map(RouteAuth.basic)
        default: return JWTAuthConfig.read(from: value).map(RouteAuth.jwt)
        }
    }

    private static func readSecretHeader(from map: ConfigMapping) -> RouteAuth? {
        let header = map.required("header").flatMap { $0.parsed(expected: "a header name", by: HeaderRules.parseName) }
        let secret = map.required("equals_secret").flatMap { $0.parsed(expected: "the secret", by: parseSecret) }
        guard let header, let secret else {
            return nil
        }
        return .secretHeader(header: header, secret: secret)
    }

    private static func parseSecret(_ text: String) throws(ValueSyntaxError) -> String {
        try HeaderSecretSyntax.parse(text, what: "the secret")
    }
}
