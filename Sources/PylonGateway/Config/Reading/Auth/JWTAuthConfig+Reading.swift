extension JWTAuthConfig {
    static let keys = [
        "algorithms", "secret", "secret_file", "public_key_file", "issuer", "audience", "leeway", "require_exp", "header",
    ]

    /// RFC 7518 §3.2: an HMAC key at least as long as the hash output.
    static let minimumSecretBytes = 32
    static let maximumLeeway = Duration.seconds(3600)

    static func read(from node: ConfigNode) -> JWTAuthConfig? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        guard let algorithmsNode = map.required("algorithms"), let algorithms = readAlgorithms(from: algorithmsNode) else {
            // Which keys are needed depends on the algorithms; without them there is nothing to check.
            return nil
        }
        var config = JWTAuthConfig(algorithms: algorithms)
        var valid = true

        let secret = map.either("secret", or: "secret_file", required: false)
        if algorithms.contains(.hs256) {
            if let secret {
                config.hmacSecret = readSecret(secret.key, from: secret.value)
            } else if map.optional("secret") == nil, map.optional("secret_file") == nil {
                map.node.report("HS256 needs a key: \"secret\" or \"secret_file\"")
            }
            valid = valid && config.hmacSecret != nil
        } else if let secret {
            secret.value.report("\(secret.key) is only used by HS256, which algorithms does not list")
            valid = false
        }

        let publicKeyAlgorithms = algorithms.filter { $0 != .hs256 }
        let publicKeyFile = map.optional("public_key_file")
        switch (publicKeyAlgorithms.count, publicKeyFile) {
        case (0, nil):
            break
        case (0, let file?):
            file.report("public_key_file is only used by RS256 and ES256, which algorithms does not list")
            valid = false
        case (1, let file?):
            config.publicKey = readPublicKey(from: file, for: publicKeyAlgorithms[0])
            valid = valid && config.publicKey != nil
        case (1, nil):
            map.node.report("\(publicKeyAlgorithms[0].rawValue) needs a key: \"public_key_file\"")
            valid = false
        default:
            algorithmsNode.report("RS256 and ES256 need different kinds of key, and a route has one public_key_file")
            valid = false
        }

        config.issuer = map.optional("issuer").flatMap { $0.scalarText(expected: "the issuer a token must name") }
        if let audience = map.optional("audience") {
            config.audiences = readAudiences(from: audience) ?? []
        }
        map.readOptional("leeway", into: &config.leeway, readLeeway)
        map.readOptional("require_exp", into: &config.requireExpiry) { $0.bool() }
        map.readOptional("header", into: &config.header) { $0.parsed(expected: "a header name", by: HeaderRules.parseName) }
        return valid ? config : nil
    }

    /// `algorithms: [HS256, …]`: known names only, each once.
    private static func readAlgorithms(from node: ConfigNode) -> [Algorithm]? {
        guard let items = node.list() else {
            return nil
        }
        guard !items.isEmpty else {
            node.report("at least one algorithm is required: HS256, RS256 or ES256")
            return nil
        }
        var algorithms: [Algorithm] = []
        var valid = true
        for item in items {
            guard let algorithm = item.oneOf(Algorithm.self) else {
                valid = false
                continue
            }
            guard !algorithms.contains(algorithm) else {
                item.report("\(algorithm.rawValue) is already listed")
                valid = false
                continue
            }
            algorithms.append(algorithm)
        }
        return valid ? algorithms : nil
    }

    /// The HS256 key: the text of `secret`, or of the file `secret_file` names.
    private static func readSecret(_ key: String, from node: ConfigNode) -> [UInt8]? {
        let bytes: [UInt8]
        if key == "secret" {
            guard let text = node.scalarText(expected: "the HS256 secret") else {
                return nil
            }
            bytes = Array(text.utf8)
        } else {
            guard let file = ReferencedFile.read(from: node, expected: "the path of the HS256 secret") else {
                return nil
            }
            bytes = Array(file.textWithoutTrailingLineBreaks.utf8)
        }
        guard bytes.count >= minimumSecretBytes else {
            node.report(
                "the HS256 secret is \(bytes.count) bytes; it needs at least \(minimumSecretBytes) (RFC 7518 §3.2), "
                    + "e.g. from `openssl rand -base64 48`"
            )
            return nil
        }
        return bytes
    }

    private static func readPublicKey(from node: ConfigNode, for algorithm: Algorithm) -> JWTPublicKey? {
        guard let file = ReferencedFile.read(from: node, expected: "the path of a PEM public key") else {
            return nil
        }
        do {
            return try JWTPublicKey.parse(pem: file.text, for: algorithm)
        } catch {
            node.report("\(file.path) \(error.message)")
            return nil
        }
    }

    /// `audience: api` or `audience: [api, admin]`.
    private static func readAudiences(from node: ConfigNode) -> [String]? {
        guard case .sequence = node.node else {
            return node.scalarText(expected: "an audience, or a list of them").map { [$0] }
        }
        guard let items = node.list() else {
            return nil
        }
        guard !items.isEmpty else {
            node.report("at least one audience is required; leave audience out to accept any")
            return nil
        }
        let audiences = items.compactMap { $0.scalarText(expected: "an audience") }
        return audiences.count == items.count ? audiences : nil
    }

    /// A duration from zero (exact clocks) to an hour.
    private static func readLeeway(from node: ConfigNode) -> Duration? {
        guard let leeway = node.parsed(expected: "a duration such as 30s", by: DurationSyntax.parse) else {
            return nil
        }
        guard leeway >= .zero, leeway <= maximumLeeway else {
            node.report("a leeway of more than 1h would accept long-expired tokens; use at most 1h")
            return nil
        }
        return leeway
    }
}
