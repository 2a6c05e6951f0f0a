import Logging

// `log`: how lines are written and from which level (GATEHOUSE_LOG_FORMAT, GATEHOUSE_LOG_LEVEL).
extension ConfigurationLoader {
    static func applyLog(_ settings: SettingsReader, to config: inout GatehouseConfiguration) throws {
        if let format = settings.string("log.format") {
            guard let known = LineLogHandler.Format(rawValue: format) else {
                throw ConfigurationError(description: "\(settings.described("log.format")) must be text or json, not '\(format)'")
            }
            config.logFormat = known
        }
        if let level = settings.string("log.level") {
            guard let known = Logger.Level(rawValue: level) else {
                let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError(
                    description: "\(settings.described("log.level")) must be one of \(levels), not '\(level)'")
            }
            config.logLevel = known
        }
    }
}
