import GatehouseCore
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import GatehouseServer

/// A parked wait ends when its client closes its side of the connection, and only then.
struct ParkedConnectionsTests {
    @Test func aClientThatClosesItsSideEndsTheParkedWaitOfItsConnection() throws {
        let connections = ConnectionGuard(limits: RequestLimits(), logger: Logger(label: "test"))
        let channel = EmbeddedChannel(handler: connections.handler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let other = EmbeddedChannel()
        try other.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2)).wait()
        let abandonment = WaitAbandonment()
        let untouched = WaitAbandonment()
        let unwatch = connections.parked.watch(channel, abandonment)
        let unwatchOther = connections.parked.watch(other, untouched)
        #expect(!abandonment.isAbandoned)
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(abandonment.isAbandoned)
        #expect(!untouched.isAbandoned)
        #expect(connections.parked.count == 1)
        unwatch()
        unwatchOther()
        #expect(connections.parked.count == 0)
        // A wait answered before its connection closes is not watched any more.
        let answered = WaitAbandonment()
        connections.parked.watch(channel, answered)()
        _ = try channel.finish()
        #expect(!answered.isAbandoned)
    }

    @Test func aConnectionThatClosesEndsItsParkedWait() throws {
        let connections = ConnectionGuard(limits: RequestLimits(), logger: Logger(label: "test"))
        let channel = EmbeddedChannel(handler: connections.handler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let abandonment = WaitAbandonment()
        _ = connections.parked.watch(channel, abandonment)
        try channel.close().wait()
        #expect(abandonment.isAbandoned)
        #expect(connections.parked.count == 0)
    }
}
