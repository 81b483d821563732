extension UpstreamTLSConfig {
    static let keys = ["sni", "verify", "ca_file", "client_cert", "client_key"]

    static func read(from node: ConfigNode) -> UpstreamTLSConfig? {
        guard let map = node.mapping(keys: keys) else {
            return nil
        }
        let sni = map.optional("sni").flatMap { node in
            node.parsed(expected: "a host name such as one.one.one.one") { text throws(ValueSyntaxError) in
                try ServerNameSyntax.parse(text, allowWildcard: false)
            }
        }
        let verify = map.optional("verify")?.bool()
        let caFile = map.optional("ca_file").flatMap { $0.pemCertificates(what: "CA certificate") }
        let clientCertNode = map.optional("client_cert")
        let clientKeyNode = map.optional("client_key")
        var clientCertificate: TLSCertificateConfig?
        var complete = true
        switch (clientCertNode, clientKeyNode) {
        case (let certNode?, let keyNode?):
            clientCertificate = TLSCertificateConfig.read(cert: certNode, key: keyNode)
            complete = clientCertificate != nil
        case (let certNode?, nil):
            certNode.report("client_cert needs client_key: the private key of the client certificate")
            complete = false
        case (nil, let keyNode?):
            keyNode.report("client_key needs client_cert: the client certificate it belongs to")
            complete = false
        case (nil, nil):
            break
        }
        if map.optional("sni") != nil, sni == nil { complete = false }
        if map.optional("verify") != nil, verify == nil { complete = false }
        if map.optional("ca_file") != nil, caFile == nil { complete = false }
        let tls = UpstreamTLSConfig(
            sni: sni, verify: verify ?? true, caFile: caFile?.path, caCertificates: caFile?.certificates ?? [],
            clientCertificate: clientCertificate
        )
        if tls.verify, tls.caFile == nil, SystemTrustStore.bundlePath == nil {
            node.report(
                "no system trust store found (\(SystemTrustStore.candidatePaths.joined(separator: ", "))) to verify this upstream's certificates; install ca-certificates or set ca_file"
            )
            complete = false
        }
        return complete ? tls : nil
    }
}
