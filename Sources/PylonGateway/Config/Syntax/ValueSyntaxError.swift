/// Why a scalar's text is not a valid value of its kind (duration, size, address, …).
///
/// Carries only the explanation; the reader adds the file position and the key path.
struct ValueSyntaxError: Error, Equatable {
    var message: String

    init(_ message: String) {
        self.message = message
    }
}
