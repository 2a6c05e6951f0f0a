"""Runs last (by name): the OpenAPI document is served as written, and the response checker
(openapi_check, installed by conftest) saw the session's traffic."""
import json

import requests

import openapi_check


def test_the_document_is_served_as_written(gatehouse):
    served = requests.get(f"{gatehouse.base}/v1/openapi.json", timeout=5)
    assert served.status_code == 200 and served.headers["Content-Type"] == "application/json"
    assert served.json() == json.loads(openapi_check.DOCUMENT.read_text())
    assert served.json()["openapi"].startswith("3.1")
    # Where Arcade's Engine serves its own document, without a key, as is.
    swagger = requests.get(f"{gatehouse.base}/v1/swagger", timeout=5)
    assert swagger.status_code == 200 and swagger.headers["Content-Type"] == "application/json"
    assert swagger.content == served.content
    # Public, so a Swagger UI served from elsewhere may read it.
    assert swagger.headers["Access-Control-Allow-Origin"] == served.headers["Access-Control-Allow-Origin"] == "*"


def test_every_response_of_the_session_was_checked_against_it():
    # Many responses of many kinds went through the checker; any that broke the document
    # already failed the test that received it.
    assert openapi_check.CHECKED["responses"] > 200, openapi_check.CHECKED["responses"]
    assert len(openapi_check.CHECKED["kinds"]) > 15, sorted(openapi_check.CHECKED["kinds"])
