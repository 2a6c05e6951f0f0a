// Lists a user's Gmail message ids with a token from Gatehouse.
//
//   export ARCADE_API_KEY=arc_...            # from `gatehouse serve`'s first start
//   export ARCADE_BASE_URL=http://127.0.0.1:9099
//   swift run GmailMessages alice@example.com
//
// GMAIL_API_BASE overrides https://gmail.googleapis.com (the tests point it at a local server);
// GATEHOUSE_PROVIDER overrides the provider id (default google).
import AsyncHTTPClient
import Foundation
import Gatehouse

let environment = ProcessInfo.processInfo.environment
let userID = CommandLine.arguments.dropFirst().first ?? environment["GMAIL_USER_ID"] ?? "alice@example.com"
let provider = environment["GATEHOUSE_PROVIDER"] ?? "google"
let gmailBase = environment["GMAIL_API_BASE"] ?? "https://gmail.googleapis.com"

/// Writes to standard output at once: a person (or a script) must see the URL while we wait.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("GmailMessages: \(message)\n".utf8))
    exit(1)
}

do {
    let client = try GatehouseClient()
    var auth = try await client.auth.start(
        userID: userID, provider: provider, scopes: ["https://www.googleapis.com/auth/gmail.readonly"])
    if auth.status != .completed {
        say("Open this URL to let the app read your mail:\n\n    \(auth.url ?? "?")\n")
        auth = try await client.auth.waitForCompletion(auth, timeout: .seconds(300))
    }
    guard let token = auth.context?.token else { fail("no token in a completed authorization") }

    var request = HTTPClientRequest(url: "\(gmailBase)/gmail/v1/users/me/messages?maxResults=10")
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    let body = try await response.body.collect(upTo: 1 << 20)
    guard response.status.code == 200 else { fail("Gmail answered HTTP \(response.status.code)") }

    struct MessageList: Decodable {
        struct Message: Decodable { let id: String }
        let messages: [Message]?
    }
    let list = try JSONDecoder().decode(MessageList.self, from: Data(body.readableBytesView))
    for message in list.messages ?? [] { say(message.id) }
} catch {
    fail("\(error)")
}
