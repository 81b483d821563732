import JWTKit

/// The registered claims (RFC 7519 §4.1) the gateway checks or reports, decoded by jwt-kit:
/// its claim types read NumericDate and the string-or-list `aud` as the RFC writes them.
/// Other claims are ignored.
struct JWTRegisteredClaims: JWTPayload {
    var exp: ExpirationClaim?
    var nbf: NotBeforeClaim?
    var iss: IssuerClaim?
    var aud: AudienceClaim?
    var sub: SubjectClaim?

    /// jwt-kit's own hook, asynchronous, for its key collection; the gateway checks tokens in
    /// `JWTBearerAuth` instead, synchronously, with leeway, issuer and audience. Kept correct
    /// for any caller all the same: the times, with no leeway.
    func verify(using _: some JWTAlgorithm) async throws {
        try self.exp?.verifyNotExpired()
        try self.nbf?.verifyNotBefore()
    }
}
