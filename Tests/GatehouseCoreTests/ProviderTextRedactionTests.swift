import Foundation
import Testing

@testable import GatehouseCore

/// A provider's error text quoting a secret in a form of its own making: taken out where it can
/// be found in place, the whole text withheld where it still shows once decoded.
@Suite struct ProviderTextRedactionTests {
    let refresh = "rt/0123+456789=x"
    let secret = "cs-s3cret/value"

    func redacted(_ text: String) -> String {
        ProviderTextRedaction.redacting(text, [refresh, secret, FormEncoding.escape(refresh), FormEncoding.escape(secret)])
    }

    @Test func formsFoundInPlaceAreReplaced() {
        let base64 = Data(refresh.utf8).base64EncodedString()
        let url = base64.trimmingCharacters(in: ["="]).replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
        #expect(redacted("raw \(refresh) and \(secret)") == "raw [redacted] and [redacted]")
        #expect(redacted("upper rt%2F0123%2B456789%3Dx") == "upper [redacted]")
        #expect(redacted("lower rt%2f0123%2b456789%3dx") == "lower [redacted]")
        #expect(redacted("base64 \(base64)") == "base64 [redacted]")
        #expect(redacted("base64url \(url)") == "base64url [redacted]")
        #expect(redacted("nothing secret here") == "nothing secret here")
    }

    @Test func aSecretThatStillShowsOnceDecodedWithholdsTheText() {
        #expect(redacted("entity cs-s3cret&#x2F;value") == ProviderTextRedaction.withheld)
        #expect(redacted("decimal cs-s3cret&#47;value") == ProviderTextRedaction.withheld)
        #expect(redacted("shouted CS-S3CRET/VALUE") == ProviderTextRedaction.withheld)
        #expect(redacted("mixed rt%2F0123%2b456789%3Dx") == "mixed [redacted]")
        // Entities that are no secret's stay as they are.
        #expect(redacted("a &amp; b &#x41; &unknown; &") == "a &amp; b &#x41; &unknown; &")
    }

    @Test func entitiesAreDecoded() {
        #expect(ProviderTextRedaction.decodingEntities("a&#x2F;b&#47;c&amp;d&sol;e&bogus;f&#xZZ;") == "a/b/c&d/e&bogus;f&#xZZ;")
    }
}
