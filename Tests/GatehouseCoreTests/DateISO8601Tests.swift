import Foundation
import Testing

@testable import GatehouseCore

@Suite struct DateISO8601Tests {
    @Test(arguments: [0, 1_700_000_000.25, 1_764_601_963.999, 4_102_444_800])
    func writesWhatTheAPIAlwaysWrote(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(date.iso8601 == ISO8601DateFormatter().string(from: date))
    }
}
