"""model.json's field presence and types, checked against ``models/bundle.schema.json``: the one description of the
bundle format, which core's ``ModelBundle`` validates against too (core's jar packages the same file)."""
from __future__ import annotations

import json
import os
from functools import lru_cache

import jsonschema

SCHEMA_PATH = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "bundle.schema.json"))


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    with open(SCHEMA_PATH) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def check_bundle_json(meta: dict, where: str = "model.json") -> None:
    """Raises ``ValueError`` naming ``where`` and every field of ``meta`` that the schema refuses (e.g.
    ``$.output: 'num_keypoints' is a required property``)."""
    errors = sorted(_validator().iter_errors(meta), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise ValueError(f"{where} does not fit the bundle schema ({SCHEMA_PATH}): "
                         + "; ".join(f"{e.json_path}: {e.message}" for e in errors))
