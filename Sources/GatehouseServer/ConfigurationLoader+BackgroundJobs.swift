import Foundation
import GatehouseCore

// The background jobs' settings: the refresh sweep (`auth.refresh_sweep`) and the revocation
// job (`auth.revocation_retry`).
extension ConfigurationLoader {
    static func applyBackgroundJobs(_ settings: SettingsReader, to config: inout GatehouseConfiguration) throws {
        if let enabled = try settings.bool("auth.refresh_sweep.enabled") { config.refreshSweep.enabled = enabled }
        if let value = settings.string("auth.refresh_sweep.interval") {
            config.refreshSweep.interval = try duration(value, "auth.refresh_sweep.interval")
        }
        if let value = settings.string("auth.refresh_sweep.window") {
            // 0, the default, leaves expiring tokens to refresh on read.
            config.refreshSweep.window = try duration(value, "auth.refresh_sweep.window", min: 0).timeInterval
        }
        if let value = settings.string("auth.refresh_sweep.idle_refresh_age") {
            config.refreshSweep.idleAge =
                try duration(value, "auth.refresh_sweep.idle_refresh_age", max: 366 * 86_400).timeInterval
        }
        if let value = settings.string("auth.revocation_retry.interval") {
            config.revocationRetry.interval =
                try duration(value, "auth.revocation_retry.interval", min: 1, max: 86_400).timeInterval
        }
        if let value = settings.string("auth.revocation_retry.give_up_after") {
            config.revocationRetry.giveUpAfter =
                try duration(value, "auth.revocation_retry.give_up_after", min: 0, max: 366 * 86_400).timeInterval
        }
    }
}
