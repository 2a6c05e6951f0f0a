import Foundation
import GatehouseCore
import GatehouseWire

/// A provider's `oauth2` template as the dashboard shows and takes it: JSON text, without the
/// client id and secret (they have fields of their own, and the secret is never shown).
enum ProviderTemplateText {
    /// The template as sorted, indented JSON.
    static func text(of template: OAuth2Config) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(try fields(of: template)), as: UTF8.self)
    }

    /// The template's fields as a JSON object, without the client id and secret.
    static func fields(of template: OAuth2Config) throws -> JSONValue {
        var template = template
        (template.clientID, template.clientSecret) = (nil, nil)
        return try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(template))
    }

    /// The operator's text as a JSON object, without the client id and secret; an invalid
    /// request names what is wrong.
    static func parse(_ text: String) throws -> [String: JSONValue] {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
            throw GatehouseError.invalid("the template is not valid JSON")
        }
        guard case .object(var fields) = value else {
            throw GatehouseError.invalid("the template must be a JSON object (the oauth2 block)")
        }
        (fields["client_id"], fields["client_secret"]) = (nil, nil)
        return fields
    }

    /// A request body (`AuthProviderRequest` or a patch) read from `document`, naming the field
    /// that has the wrong type as the API does.
    static func decode<Value: Decodable>(_ type: Value.Type, from document: [String: JSONValue]) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: JSONEncoder().encode(JSONValue.object(document)))
        } catch let error as DecodingError {
            throw GatehouseError.invalid(APIRequestDecoder.describe(error))
        }
    }

    /// What the form to add a custom provider starts with: the README's example, to edit.
    static let example = """
        {
          "authorize_request": {
            "endpoint": "https://provider.example/oauth/authorize",
            "params": {
              "client_id": "{{client_id}}",
              "redirect_uri": "{{redirect_uri}}",
              "response_type": "code",
              "scope": "{{scopes}} {{existing_scopes}}"
            }
          },
          "refresh_request": {
            "auth_method": "client_secret_basic",
            "endpoint": "https://provider.example/oauth/token",
            "params": {"grant_type": "refresh_token", "refresh_token": "{{refresh_token}}"}
          },
          "token_request": {
            "auth_method": "client_secret_basic",
            "endpoint": "https://provider.example/oauth/token",
            "params": {"grant_type": "authorization_code", "redirect_uri": "{{redirect_uri}}"}
          }
        }
        """
}
