import GatehouseCore
import HTTPTypes
import Hummingbird
import NIOCore

/// First-party pages: no third-party loads, no referrer, no framing.
enum HTMLPage {
    /// The page for `outcome`; a failure page shows `reference` (the request id) for the person
    /// to quote.
    static func response(for outcome: CallbackOutcome, reference: String?) -> Response {
        switch outcome {
        case .redirect(let location):
            var headers = securityHeaders
            headers[.location] = location
            return Response(status: .seeOther, headers: headers)
        case .success(let provider):
            return page(
                status: .ok, title: "Connected",
                message: "You connected \(provider). You can close this window and return to the app.")
        case .waiting:
            return page(status: .ok, title: "Almost done", message: "This sign-in is waiting for the app to confirm who you are.")
        case .failure(let reason, _):
            return page(
                status: HTTPErrorMapping.status(for: reason), title: reason.title, message: reason.explanation,
                reference: reference)
        }
    }

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'none'",
        .init("Referrer-Policy")!: "no-referrer",
        .init("X-Frame-Options")!: "DENY",
        .init("X-Content-Type-Options")!: "nosniff",
        .cacheControl: "no-store",
    ]

    static func page(status: HTTPResponse.Status, title: String, message: String, reference: String? = nil) -> Response {
        let quoted =
            reference.map {
                "<p class=\"ref\">If you ask for help, quote this reference: <code>\(escape($0))</code></p>"
            } ?? ""
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <title>\(escape(title)) · Gatehouse</title>
            <style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
            h1{font-size:1.4rem}.ref{color:#666;font-size:.9rem}code{word-break:break-all}</style></head>
            <body><h1>\(escape(title))</h1><p>\(escape(message))</p>\(quoted)</body></html>
            """
        var headers = securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// What HEAD gets on a page whose GET acts once (a callback): a page's headers, no body,
    /// and nothing done.
    static func headers() -> Response {
        var headers = securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: .ok, headers: headers)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for char in text {
            switch char {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(char)
            }
        }
        return out
    }
}
