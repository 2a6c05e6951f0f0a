import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import NIOCore

/// First-party pages: no third-party loads, no referrer, no framing.
enum HTMLPage {
    /// The page for `outcome`; a failure page shows `reference` (the request id) for the person
    /// to quote, and a link to `back`, the app's page, when there is one.
    static func response(for outcome: CallbackOutcome, reference: String?, back: String? = nil) -> Response {
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
            return page(
                status: .ok, title: "Almost done",
                message:
                    "This sign-in is waiting for the app to confirm who you are. Go back to the app to finish; once it has, this page says Connected when you reload it."
            )
        case .finishing:
            // A meta refresh, not a script: the pages run none (`default-src 'none'`).
            return page(
                status: .ok, title: "Still connecting",
                message:
                    "We are still connecting your account. This page checks again every few seconds and says Connected once it is done; the app sees the connection as soon as it is made.",
                refreshAfter: finishingRefresh)
        case .failure(let reason, _):
            return page(
                status: HTTPErrorMapping.status(for: reason), title: reason.title, message: reason.explanation,
                reference: reference, back: back.map { ($0, "Back to " + (URLComponents(string: $0)?.host ?? "the app")) })
        }
    }

    /// Seconds between the reloads of the page of a sign-in still finishing.
    static let finishingRefresh = 2

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'none'",
        .init("Referrer-Policy")!: "no-referrer",
        .init("X-Frame-Options")!: "DENY",
        .init("X-Content-Type-Options")!: "nosniff",
        .cacheControl: "no-store",
    ]

    /// A page saying `message` under `title`; with `reference` to quote, `back` (a link to go on
    /// from: one of this server's, such as the dashboard's, or the app's), and `refreshAfter` seconds after which
    /// the browser loads it again.
    static func page(
        status: HTTPResponse.Status, title: String, message: String, reference: String? = nil,
        back: (href: String, label: String)? = nil, refreshAfter: Int? = nil
    ) -> Response {
        let quoted =
            reference.map {
                "<p class=\"ref\">If you ask for help, quote this reference: <code>\(escape($0))</code></p>"
            } ?? ""
        let refresh = refreshAfter.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">" } ?? ""
        let link = back.map { "<p><a href=\"\(escape($0.href))\">\(escape($0.label))</a></p>" } ?? ""
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">\(refresh)
            <title>\(escape(title)) · Gatehouse</title>
            <style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
            h1{font-size:1.4rem}.ref{color:#666;font-size:.9rem}code{overflow-wrap:anywhere}</style></head>
            <body><h1>\(escape(title))</h1><p>\(escape(message))</p>\(link)\(quoted)</body></html>
            """
        var headers = securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// The page for an error on one of the dashboard's pages, under `status`, with `reference`
    /// (the request id) to quote. An internal error's detail stays in the log.
    static func page(for error: GatehouseError, status: HTTPResponse.Status, reference: String?) -> Response {
        let ours = error.code == .internalError
        let title =
            switch status.code {
            case _ where ours: "Something went wrong on our side"
            case 404: "No such page"
            case 405: "This page does not take that request"
            case 413: "That was more than this form takes"
            case 429: "Too many requests just now"
            case 503 where error.code == .storeUnavailable: "The server cannot reach its database"
            case 502, 503: "A service this page needs did not answer"
            default: "That request could not be used"
            }
        let message = ours ? "The server's log says what happened, under the reference below." : error.message
        var response = page(
            status: status, title: title, message: message, reference: reference,
            back: ("/dashboard", "Back to the dashboard"))
        if let retryAfter = error.retryAfterSaid { response.headers[.retryAfter] = String(retryAfter) }
        return response
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
