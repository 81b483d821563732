import NIOConcurrencyHelpers
import NIOCore

/// The listening channels of a server, closed once when it stops accepting.
final class ListeningChannels: Sendable {
    private let channels = NIOLockedValueBox<[any Channel]>([])

    func append(_ channel: any Channel) {
        self.channels.withLockedValue { $0.append(channel) }
    }

    func takeAll() -> [any Channel] {
        self.channels.withLockedValue { channels in
            defer { channels = [] }
            return channels
        }
    }
}
