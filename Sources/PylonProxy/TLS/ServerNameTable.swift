/// Which certificate answers a server name: exact names first, then one-label wildcards
/// (`*.example.com` matches `a.example.com`, not `example.com` or `a.b.example.com`, as
/// RFC 6125 §6.4.3 has clients check them), then the default.
struct ServerNameTable: Sendable {
    private var exact: [String: Int] = [:]
    private var wildcardSuffixes: [String: Int] = [:]
    let defaultIndex: Int

    /// `namesByCertificate[i]` are the names of certificate `i`; a name listed twice goes to
    /// the first certificate that lists it.
    init(namesByCertificate: [[String]], defaultIndex: Int) {
        self.defaultIndex = defaultIndex
        for (index, names) in namesByCertificate.enumerated() {
            for name in names {
                let name = Self.normalized(name)
                if name.hasPrefix("*.") {
                    let suffix = String(name.dropFirst(2))
                    if self.wildcardSuffixes[suffix] == nil { self.wildcardSuffixes[suffix] = index }
                } else if self.exact[name] == nil {
                    self.exact[name] = index
                }
            }
        }
    }

    /// The certificate index for the client's SNI (nil: the client sent none).
    func certificateIndex(for serverName: String?) -> Int {
        guard let serverName, !serverName.isEmpty else { return self.defaultIndex }
        let name = Self.normalized(serverName)
        if let index = self.exact[name] { return index }
        if let dot = name.firstIndex(of: "."), let index = self.wildcardSuffixes[String(name[name.index(after: dot)...])] {
            return index
        }
        return self.defaultIndex
    }

    /// Lowercased, without the trailing dot of a fully qualified name.
    static func normalized(_ name: String) -> String {
        let lowered = name.lowercased()
        return lowered.hasSuffix(".") ? String(lowered.dropLast()) : lowered
    }
}
