"""Every response Gatehouse gives the e2e tests is checked against its OpenAPI document.

`install()` wraps `requests` and `httpx` (the transport of the official `arcadepy` client), so a
response that breaks the document fails the test that received it, whichever client sent the
request. Gatehouse's responses are told apart from the OAuth server's by the `X-Request-Id`
header Gatehouse puts on every answer.
"""
import json
from pathlib import Path

import httpx
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound

DOCUMENT = Path(__file__).resolve().parents[2] / "Sources" / "GatehouseServer" / "OpenAPI" / "openapi.json"
SPEC = OpenAPI.from_dict(json.loads(DOCUMENT.read_text()))

# What was checked, for the summary test at the end of the session.
CHECKED = {"responses": 0, "kinds": set()}


class SchemaViolation(AssertionError):
    pass


def check(request, response):
    """`request` is a requests.PreparedRequest, `response` a requests.Response."""
    if "X-Request-Id" not in response.headers:
        return  # not Gatehouse (the OAuth server, a page it redirected to)
    try:
        SPEC.validate_response(RequestsOpenAPIRequest(request), RequestsOpenAPIResponse(response))
    except (PathNotFound, OperationNotFound):
        # A route the document does not name: only Gatehouse's own refusal may come back.
        if response.status_code not in (404, 405):
            raise SchemaViolation(f"{request.method} {request.path_url}: {response.status_code} from an undocumented route")
        body = response.json()
        if not {"name", "message"} <= body.keys():
            raise SchemaViolation(f"{request.method} {request.path_url}: a refusal without Arcade's error body: {body}")
    except Exception as error:  # openapi-core's validation errors
        details = "; ".join(str(e) for e in getattr(error, "schema_errors", []) or []) or str(error)
        raise SchemaViolation(
            f"{request.method} {request.path_url} -> {response.status_code} breaks openapi.json: {details}\n"
            f"body: {response.text[:500]}") from None
    CHECKED["responses"] += 1
    CHECKED["kinds"].add(f"{request.method} {request.path_url.split('?')[0]} {response.status_code}")


def _as_requests(request: httpx.Request, response: httpx.Response):
    prepared = requests.Request(
        method=request.method, url=str(request.url), headers=dict(request.headers), data=request.content or None
    ).prepare()
    converted = requests.Response()
    converted.status_code = response.status_code
    converted.headers = requests.structures.CaseInsensitiveDict(response.headers)
    converted._content = response.content
    converted.url = str(request.url)
    converted.request = prepared
    return prepared, converted


def install():
    send = requests.Session.send

    def checked_send(self, request, **kwargs):
        response = send(self, request, **kwargs)
        if not kwargs.get("stream"):
            check(request, response)
        return response

    requests.Session.send = checked_send

    httpx_send = httpx.Client.send

    def checked_httpx_send(self, request, **kwargs):
        response = httpx_send(self, request, **kwargs)
        response.read()  # kept by httpx: the client reads the same bytes afterwards
        check(*_as_requests(request, response))
        return response

    httpx.Client.send = checked_httpx_send
