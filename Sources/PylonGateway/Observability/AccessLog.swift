import PylonProxy

#if canImport(Glibc)
import Glibc
#endif

/// Formats one line per request (logfmt or JSON) and hands it to the writer thread.
public struct AccessLog: Sendable {
    let format: AccessLogFormat
    let writer: BackgroundOutputWriter

    public init(format: AccessLogFormat, writer: BackgroundOutputWriter) {
        self.format = format
        self.writer = writer
    }

    /// `client` is the client as the gateway trusts it (see `ClientAddressResolver`), not
    /// necessarily the TCP peer; `requestID` the request's ID, if it has one.
    func record(session: ProxySession, record: ProxyLogRecord, route: String, client: String?, requestID: RequestID?) {
        let fields: [(String, String)] = [
            ("time", Self.timestamp()),
            ("client", client ?? "-"),
            ("method", session.request.method.rawValue),
            ("path", session.request.uri),
            ("status", String(record.status)),
            ("bytes", String(record.responseBodyBytes)),
            ("duration_ms", Self.milliseconds(record.duration.nanoseconds)),
            ("route", route),
            ("upstream", record.peer?.name ?? "-"),
            ("request_id", requestID?.description ?? "-"),
        ] + (record.error.map { [("error", $0.message)] } ?? [])
        self.writer.write(line: self.format == .json ? Self.json(fields) : Self.logfmt(fields))
    }

    static func logfmt(_ fields: [(String, String)]) -> String {
        var line = ""
        line.reserveCapacity(200)
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { line += " " }
            line += key
            line += "="
            let needsQuotes = value.isEmpty || value.utf8.contains { $0 <= 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") || $0 == 0x7F }
            line += needsQuotes ? Self.quoted(value) : value
        }
        return line
    }

    static func json(_ fields: [(String, String)]) -> String {
        var line = "{"
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { line += "," }
            line += Self.quoted(key)
            line += ":"
            // Numbers stay numbers so log pipelines can aggregate them.
            let isNumber = ["status", "bytes", "duration_ms"].contains(key)
            line += isNumber ? value : Self.quoted(value)
        }
        return line + "}"
    }

    /// A JSON-style quoted string (also valid logfmt quoting).
    static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func milliseconds(_ nanoseconds: Int64) -> String {
        let micros = nanoseconds / 1000
        let fraction = micros % 1000
        let pad = fraction < 10 ? "00" : fraction < 100 ? "0" : ""
        return "\(micros / 1000).\(pad)\(fraction)"
    }

    /// RFC 3339 UTC time with milliseconds, from the realtime clock.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let millis = now.tv_nsec / 1_000_000
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(ms)Z"
    }
}
