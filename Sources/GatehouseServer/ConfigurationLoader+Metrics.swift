// `metrics`: the scrape token.
extension ConfigurationLoader {
    static func readMetricsToken(_ settings: SettingsReader) throws -> ScrapeToken? {
        guard let token = settings.string("metrics.token") else { return nil }
        guard token.count >= ScrapeToken.minimumLength, !token.contains(where: \.isWhitespace) else {
            throw ConfigurationError(
                description:
                    "metrics.token must be at least \(ScrapeToken.minimumLength) characters without spaces (for example the output of openssl rand -hex 32, through ${file:path} or ${env:NAME})"
            )
        }
        return ScrapeToken(token)
    }
}
