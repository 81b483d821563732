extension ListenerTLSConfig {
    static let keys = ["certificates", "default", "min_version"]
    static let certificateKeys = ["cert", "key", "server_names"]

    static func read(from node: ConfigNode) -> ListenerTLSConfig? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        let certificates = map.required("certificates").flatMap(readCertificates(from:))
        let minVersion = map.optional("min_version")?.oneOf(TLSMinimumVersion.self)
        guard let certificates else {
            return nil
        }
        var tls = ListenerTLSConfig(certificates: certificates)
        if let minVersion {
            tls.minVersion = minVersion
        }
        if let defaultNode = map.optional("default") {
            guard let index = readDefault(from: defaultNode, certificates: certificates) else {
                return nil
            }
            tls.defaultCertificate = index
        }
        let items = map.optional("certificates")?.list() ?? []
        for (index, certificate) in certificates.enumerated()
        where certificate.serverNames.isEmpty && index != tls.defaultCertificate && items.indices.contains(index) {
            items[index].report(
                "this certificate has no server names (no DNS names in it, no server_names) and is not the default, so it would never be served"
            )
        }
        return tls
    }

    private static func readCertificates(from node: ConfigNode) -> [Certificate]? {
        guard let items = node.list() else {
            return nil
        }
        guard !items.isEmpty else {
            node.report("at least one certificate is required, e.g. [{cert: site.pem, key: site.key}]")
            return nil
        }
        var certificates: [Certificate] = []
        var ownerOfName: [String: (index: Int, file: String)] = [:]
        var complete = true
        for (index, item) in items.enumerated() {
            guard let certificate = readCertificate(from: item) else {
                complete = false
                continue
            }
            for name in certificate.serverNames {
                if let owner = ownerOfName[name] {
                    (item.lookup("server_names") ?? item).report(
                        "server name \"\(name)\" is already served by certificate \(owner.index) (\(owner.file)); a name may belong to one certificate only"
                    )
                    complete = false
                } else {
                    ownerOfName[name] = (index, certificate.files.certFile)
                }
            }
            certificates.append(certificate)
        }
        return complete ? certificates : nil
    }

    private static func readCertificate(from node: ConfigNode) -> Certificate? {
        guard let map = node.mapping(keys: certificateKeys) else {
            return nil
        }
        let certNode = map.required("cert")
        let keyNode = map.required("key")
        let explicitNames = map.optional("server_names").flatMap(readServerNames(from:))
        guard let certNode, let keyNode, let files = TLSCertificateConfig.read(cert: certNode, key: keyNode) else {
            return nil
        }
        if map.optional("server_names") != nil, explicitNames == nil {
            return nil
        }
        // Without server_names: the names the certificate itself is valid for.
        let names = explicitNames ?? files.subjectAlternativeDNSNames.compactMap {
            try? ServerNameSyntax.parse($0, allowWildcard: true)
        }
        return Certificate(files: files, serverNames: unique(names))
    }

    private static func readServerNames(from node: ConfigNode) -> [String]? {
        guard let items = node.list() else {
            return nil
        }
        guard !items.isEmpty else {
            node.report("expected at least one server name; leave server_names out to use the certificate's own names")
            return nil
        }
        let names = items.compactMap { item in
            item.parsed(expected: "a server name such as api.example.com or *.example.com") { text throws(ValueSyntaxError) in
                try ServerNameSyntax.parse(text, allowWildcard: true)
            }
        }
        return names.count == items.count ? names : nil
    }

    private static func readDefault(from node: ConfigNode, certificates: [Certificate]) -> Int? {
        let name = node.parsed(expected: "a server name of one of the certificates") { text throws(ValueSyntaxError) in
            try ServerNameSyntax.parse(text, allowWildcard: true)
        }
        guard let name else {
            return nil
        }
        guard let index = certificates.firstIndex(where: { $0.serverNames.contains(name) }) else {
            let known = certificates.flatMap(\.serverNames).map { "\"\($0)\"" }.joined(separator: ", ")
            node.report("no certificate serves \"\(name)\"; default names the certificate to use by one of its server names: \(known)")
            return nil
        }
        return index
    }

    private static func unique(_ names: [String]) -> [String] {
        var seen: Set<String> = []
        return names.filter { seen.insert($0).inserted }
    }
}
