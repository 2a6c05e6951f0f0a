import GatehouseCore
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// The dashboard's pages: Mustache templates embedded at build time (`Dashboard/`), rendered
/// with Mustache's HTML escaping of every value, and sent with headers that let the page load
/// nothing from elsewhere, post forms only to itself, and not be framed.
struct DashboardPages: Sendable {
    private let library: MustacheLibrary

    static let headers: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .contentSecurityPolicy:
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        // `same-origin`, not `no-referrer`: under `no-referrer` a browser sends `Origin: null` with
        // a form posted to its own origin, and the sign-in's cross-site check
        // (`CrossSiteFormCheck`) would refuse every sign-in from a browser without
        // `Sec-Fetch-Site`. No address leaves this origin either way.
        .init("Referrer-Policy")!: "same-origin",
        .init("X-Frame-Options")!: "DENY",
        .init("X-Content-Type-Options")!: "nosniff",
        .cacheControl: "no-store",
    ]

    init() throws {
        var library = MustacheLibrary()
        let templates: [(String, [UInt8])] = [
            ("layout", PackageResources.layout_mustache), ("sign-in", PackageResources.sign_in_mustache),
            ("providers", PackageResources.providers_mustache), ("provider", PackageResources.provider_mustache),
            ("connections", PackageResources.connections_mustache), ("flows", PackageResources.flows_mustache),
            ("keys", PackageResources.keys_mustache),
            ("provider-remove", PackageResources.provider_remove_mustache),
            ("key-revoke", PackageResources.key_revoke_mustache),
            ("connection-delete", PackageResources.connection_delete_mustache),
            ("verification", PackageResources.verification_mustache),
        ]
        for (name, bytes) in templates {
            try library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        self.library = library
    }

    /// The page `name` for `context`.
    func render(_ name: String, _ context: [String: Any], status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:])
        -> Response
    {
        let html = library.render(Self.withoutAbsentValues(context), withTemplate: name) ?? ""
        var headers = Self.headers
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// The page `name` refusing what was sent: `error`'s message on it, under the status (and
    /// `Retry-After`) the one error mapping gives it; with no error, the page as it is.
    func render(_ name: String, _ context: [String: Any], refusing error: GatehouseError?) -> Response {
        guard let error else { return render(name, context) }
        return render(
            name, context.merging(["error": error.message]) { _, message in message }, status: error.status,
            headers: error.retryAfter.map { [.retryAfter: String($0)] } ?? [:])
    }

    /// `context` with every `nil` (an optional passed `as Any`) left out, at any depth: Mustache
    /// takes a boxed `nil` for a value and prints "nil", and shows the section it guards.
    static func withoutAbsentValues(_ context: [String: Any]) -> [String: Any] {
        context.compactMapValues(present)
    }

    private static func present(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return nil }
            return present(wrapped)
        }
        switch value {
        case let dictionary as [String: Any]: return withoutAbsentValues(dictionary)
        case let array as [Any]: return array.compactMap(present)
        default: return value
        }
    }

    /// Whether `path` is one of the dashboard's, whose errors are pages, not JSON.
    static func serves(_ path: String) -> Bool {
        path == "/dashboard" || path.hasPrefix("/dashboard/")
    }

    /// A 303 to `location`.
    static func redirect(_ location: String, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.location: location, .cacheControl: "no-store"]
        headers.append(contentsOf: extra)
        return Response(status: .seeOther, headers: headers)
    }
}
