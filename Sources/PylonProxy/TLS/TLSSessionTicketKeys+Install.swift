import CPylonTLS
import NIOSSL

extension TLSSessionTicketKeys {
    /// Why the shared ticket keys could not be put on a context. The listener then serves
    /// with BoringSSL's own per-process keys: sessions resume only on the process that
    /// issued the ticket.
    enum InstallError: Error, CustomStringConvertible {
        /// This swift-nio-ssl keeps its `SSL_CTX` somewhere other than where this code looks.
        case contextNotFound
        /// `pylon_tls_install_ticket_keys` said no: one of its `PYLON_TLS_TICKET_INSTALL_*` codes.
        case refused(code: Int32)

        var description: String {
            switch self {
            case .contextNotFound:
                "this swift-nio-ssl does not expose its BoringSSL context where Pylon looks for it"
            case .refused(PYLON_TLS_TICKET_INSTALL_NOT_OWNER):
                "the BoringSSL context found in this swift-nio-ssl's context does not point back at it"
            case .refused(PYLON_TLS_TICKET_INSTALL_ALREADY_INSTALLED):
                "the context already has ticket keys"
            case .refused(let code):
                "BoringSSL did not take the ticket-key callback (code \(code))"
            }
        }
    }

    /// Makes `context`'s tickets sealed and opened with these keys. Call before the context's
    /// first handshake.
    func install(on context: NIOSSLContext) throws(InstallError) {
        guard let sslContext = Self.boringSSLContext(of: context) else { throw .contextNotFound }
        let owner = UnsafeRawPointer(Unmanaged.passUnretained(context).toOpaque())
        let code = self.secret.withUnsafeBufferPointer { secret in
            pylon_tls_install_ticket_keys(UnsafeMutableRawPointer(sslContext), owner, secret.baseAddress, secret.count)
        }
        guard code == 0 else { throw .refused(code: code) }
    }

    /// The BoringSSL `SSL_CTX *` inside `context`. swift-nio-ssl has no API for it (nor for
    /// ticket keys), so this reads its stored property `sslContext` by reflection: nil when a
    /// future version renames it or changes its type — never a guess at memory layout.
    /// `pylon_tls_install_ticket_keys` then checks that the context's app data points back
    /// at `context`, as swift-nio-ssl sets it, before touching anything.
    static func boringSSLContext(of context: NIOSSLContext) -> OpaquePointer? {
        for child in Mirror(reflecting: context).children where child.label == "sslContext" {
            return child.value as? OpaquePointer
        }
        return nil
    }
}
