// libFuzzer harness for `ConfigLoader.parse(yaml:file:)`: any bytes, read as UTF-8 (invalid
// sequences become U+FFFD), must either load or fail with problems — never trap, hang or
// exhaust memory. The problems are rendered too, since `pylon check` prints them.
import PylonGateway

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigLoader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? UnsafeBufferPointer<UInt8>(start: nil, count: 0) : UnsafeBufferPointer(start: data, count: size)
    let yaml = String(decoding: bytes, as: UTF8.self)
    do {
        let config = try ConfigLoader.parse(yaml: yaml, file: "fuzz.yaml")
        _ = "\(config)"
    } catch {
        let rendered = "\(error)"
        precondition(!rendered.isEmpty || error.problems.isEmpty, "a config error renders as nothing")
    }
    return 0
}
