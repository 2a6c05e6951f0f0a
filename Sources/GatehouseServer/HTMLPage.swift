import GatehouseCore
import HTTPTypes
import Hummingbird
import NIOCore

/// First-party pages: no third-party loads, no referrer, no framing.
enum HTMLPage {
    static func response(for outcome: CallbackOutcome) -> Response {
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
        case .failure(let reason, let message):
            return page(status: HTTPErrorMapping.status(for: reason), title: "Sign-in not completed", message: message)
        }
    }

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'none'",
        .init("Referrer-Policy")!: "no-referrer",
        .init("X-Frame-Options")!: "DENY",
        .init("X-Content-Type-Options")!: "nosniff",
        .cacheControl: "no-store",
    ]

    static func page(status: HTTPResponse.Status, title: String, message: String) -> Response {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <title>\(escape(title)) · Gatehouse</title>
            <style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
            h1{font-size:1.4rem}</style></head>
            <body><h1>\(escape(title))</h1><p>\(escape(message))</p></body></html>
            """
        var headers = securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
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
