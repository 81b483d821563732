import ArgumentParser
import PylonGateway

#if canImport(Glibc)
import Glibc
#endif

/// `pylon hash-password`: turns a password into the `pbkdf2-sha256$…` hash a Basic user is
/// configured with, so plain passwords never need to be written into a config.
struct HashPasswordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-password",
        abstract: "Hash a password for a Basic auth user (auth: {basic: {users: {NAME: HASH}}}).",
        discussion: """
            Reads the password from standard input (asking for it, unechoed, on a terminal; \
            otherwise the first line, e.g. `printf '%s' "$PASSWORD" | pylon hash-password`) \
            and prints pbkdf2-sha256$ITERATIONS$SALT$HASH with a random salt. Never pass the \
            password as an argument: other users can read arguments from the process list.
            """
    )

    @Option(help: """
        PBKDF2 iterations, \(PasswordHash.pbkdf2Iterations.lowerBound)…\(PasswordHash.pbkdf2Iterations.upperBound). \
        More makes a leaked hash slower to crack, and also makes each first request of a \
        client, and each failed attempt, hold the gateway's event loop longer.
        """)
    var iterations = 100_000

    func validate() throws {
        guard PasswordHash.pbkdf2Iterations.contains(self.iterations) else {
            let range = PasswordHash.pbkdf2Iterations
            throw ValidationError("--iterations must be from \(range.lowerBound) to \(range.upperBound)")
        }
    }

    func run() throws {
        guard let password = Self.readPassword(), !password.isEmpty else {
            Console.standardError("no password given on standard input\n")
            throw ExitCode(1)
        }
        let hash = try PasswordHash.makePBKDF2SHA256(password: password, iterations: self.iterations)
        Console.standardOutput(hash.encoded + "\n")
    }

    /// The password from a terminal prompt without echo, or the first line of piped input.
    private static func readPassword() -> String? {
        if isatty(0) == 1 {
            return getpass("Password: ").map { String(cString: $0) }
        }
        return readLine(strippingNewline: true)
    }
}
