"""A small MCP server on Arcade's open-source framework (arcade-mcp-server), as a team would write
one: one tool that needs the user's grant at the `dot` provider. The framework asks Gatehouse for
the token (POST /v1/auth/authorize at ARCADE_API_URL) on every call. Run over stdio."""
from arcade_mcp_server import Context, MCPApp
from arcade_mcp_server.auth import OAuth2

app = MCPApp(name="GatehouseE2E", version="1.0.0")


@app.tool(requires_auth=OAuth2(id="dot", scopes=["read"]))
async def whoami(context: Context) -> dict:
    """Who the user is at the provider, with the token the tool was given."""
    return {"token": context.get_auth_token_or_empty(), "user_info": context.authorization.user_info}


if __name__ == "__main__":
    app.run(transport="stdio")
