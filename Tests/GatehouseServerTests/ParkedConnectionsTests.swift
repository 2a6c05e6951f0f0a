import GatehouseCore
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import GatehouseServer

/// A parked wait ends when its client closes its side of the connection, and only then.
struct ParkedConnectionsTests {
    /// A connected channel with the connection guard's handler, and the guard.
    static func connection(port: Int = 1) throws -> (ConnectionGuard, EmbeddedChannel) {
        let connections = ConnectionGuard(limits: RequestLimits(), logger: Logger(label: "test"))
        let channel = EmbeddedChannel(handler: connections.handler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: port)).wait()
        return (connections, channel)
    }

    @Test func aClientThatClosesItsSideEndsTheParkedWaitOfItsConnection() throws {
        let (connections, channel) = try Self.connection()
        let other = EmbeddedChannel()
        try other.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2)).wait()
        let abandonment = WaitAbandonment()
        let untouched = WaitAbandonment()
        let watch = connections.parked.watch(channel, abandonment)
        let otherWatch = connections.parked.watch(other, untouched)
        #expect(!abandonment.isAbandoned)
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(abandonment.isAbandoned)
        #expect(!untouched.isAbandoned)
        watch.release()
        otherWatch.release()
        // The half-closed connection is remembered until it closes: a wait parked on it later
        // (a pipelined request) ends at once.
        #expect(connections.parked.count == 1)
        let later = WaitAbandonment()
        _ = connections.parked.watch(channel, later)
        #expect(later.isAbandoned)
        _ = try channel.finish()
        #expect(connections.parked.count == 0)
    }

    @Test func aConnectionThatClosesEndsItsParkedWaitAndIsForgotten() throws {
        let (connections, channel) = try Self.connection()
        let abandonment = WaitAbandonment()
        let watch = connections.parked.watch(channel, abandonment)
        try channel.close().wait()
        #expect(abandonment.isAbandoned)
        #expect(connections.parked.count == 0)
        watch.release()
    }

    @Test func aWaitAnsweredOrDroppedIsNoLongerWatched() throws {
        let (connections, channel) = try Self.connection()
        let answered = WaitAbandonment()
        connections.parked.watch(channel, answered).release()
        #expect(connections.parked.count == 0)
        let dropped = WaitAbandonment()
        do {
            // An answer dropped unwritten: its watch goes with it.
            _ = connections.parked.watch(channel, dropped)
        }
        #expect(connections.parked.count == 0)
        _ = try channel.finish()
        #expect(!answered.isAbandoned && !dropped.isAbandoned)
    }
}
