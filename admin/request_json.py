"""The JSON object of a staff-page request, or {} — never a 500 for a body that is not one
(bad JSON, an array, nesting deeper than the parser goes, lone surrogates)."""
import json

from flask import request


def json_object() -> dict:
    try:
        data = request.get_json(silent=True)
        json.dumps(data, ensure_ascii=False).encode()
    except (RecursionError, UnicodeEncodeError):
        return {}
    return data if isinstance(data, dict) else {}
