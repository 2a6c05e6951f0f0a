"""Tools built on Arcade's MCP server framework get their users' tokens from Gatehouse: a small
MCP server (mcp_tool/whoami_server.py) with one tool that requires the `dot` provider, run over
stdio and driven by the `mcp` client, with ARCADE_API_URL (not ARCADE_BASE_URL) pointing here."""
import asyncio
import json
import os
import re
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from conftest import HERE, consent

SERVER = HERE / "mcp_tool" / "whoami_server.py"


async def call_whoami(gatehouse, user_id):
    env = dict(os.environ, ARCADE_API_URL=gatehouse.base, ARCADE_API_KEY=gatehouse.api_key, ARCADE_USER_ID=user_id)
    env.pop("ARCADE_BASE_URL", None)
    parameters = StdioServerParameters(command=sys.executable, args=[str(SERVER)], env=env)
    async with stdio_client(parameters) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            name = next(tool.name for tool in tools if tool.name.lower().endswith("whoami"))
            return await asyncio.wait_for(session.call_tool(name, {}), timeout=60)


def text_of(result):
    return "\n".join(getattr(block, "text", "") for block in result.content)


def test_an_arcade_mcp_tool_gets_its_users_token_through_gatehouse(gatehouse, dot, user_id):
    first = asyncio.run(call_whoami(gatehouse, user_id))
    assert first.is_error, text_of(first)
    message = text_of(first) + json.dumps(first.structured_content or {})
    assert "Authorization required" in message, message
    url = re.search(r"Click this link: (\S+)", message).group(1)

    # The person opens the link and consents at the real OAuth server.
    page = consent(url, "alice")
    assert page.status_code == 200, page.text[:300]

    second = asyncio.run(call_whoami(gatehouse, user_id))
    assert not second.is_error, text_of(second)
    output = second.structured_content or json.loads(text_of(second))
    output = output.get("result", output) if isinstance(output, dict) else output
    expected = gatehouse.client().auth.start(user_id=user_id, provider="dot", scopes=["read"])
    assert expected.status == "completed"
    assert output["token"] == expected.context.token
    assert output["user_info"] == expected.context.user_info and output["user_info"], output
