import NIOHTTP1

extension HTTPMethod {
    // Matched rather than compared: `==` on `HTTPMethod` makes both raw-value Strings and
    // compares them, a few hundred instructions on every request.

    var isHEAD: Bool {
        if case .HEAD = self { return true }
        return false
    }

    var isOPTIONS: Bool {
        if case .OPTIONS = self { return true }
        return false
    }
}
