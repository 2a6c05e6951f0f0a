import Testing

@testable import GatehouseCore

@Suite struct TemplateRendererTests {
    let renderer = TemplateRenderer(values: ["client_id": "cid", "scopes": "a b", "existing_scopes": ""])

    @Test func substitutesKnownPlaceholdersAndEmptiesUnknownOnes() {
        #expect(renderer.render("id={{client_id}}&x={{nope}}") == "id=cid&x=")
        #expect(renderer.render("{{ client_id }}") == "cid")
        #expect(renderer.render("no placeholders") == "no placeholders")
        #expect(renderer.render("unclosed {{client_id") == "unclosed {{client_id")
    }

    @Test func tidiesScopeParameters() {
        #expect(renderer.render("{{scopes}} {{existing_scopes}}") == "a b")
        let union = TemplateRenderer(values: ["scopes": "a b", "existing_scopes": "c a"])
        #expect(union.render("{{scopes}} {{existing_scopes}}") == "a b c")
        let comma = TemplateRenderer(values: ["scopes": "a,b", "existing_scopes": "c"], scopeDelimiter: ",")
        #expect(comma.render("{{scopes}} {{existing_scopes}}") == "a,b,c")
        #expect(comma.render("openid {{scopes}}") == "openid,a,b")
    }

    @Test func dropsParametersThatRenderEmpty() {
        let empty = TemplateRenderer(values: ["scopes": "", "existing_scopes": ""])
        let params = empty.render(params: ["scope": "{{scopes}} {{existing_scopes}}", "response_type": "code"])
        #expect(params == ["response_type": "code"])
    }
}
