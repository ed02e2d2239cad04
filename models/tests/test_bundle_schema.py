import copy
import json
import os

import pytest
import torch

from sparkseg_models import export
from sparkseg_models.bundle_schema import SCHEMA_PATH, check_bundle_json
from sparkseg_models.model import build_model

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def _embedded():
    with open(os.path.join(ROOT, "samples", "model", "model.json")) as f:
        return json.load(f)


def test_every_model_json_in_the_repository_fits_the_schema():
    found = []
    for top, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in (".git", "target", "node_modules")]
        if "model.json" in files:
            path = os.path.join(top, "model.json")
            with open(path) as f:
                check_bundle_json(json.load(f), path)
            found.append(path)
    assert any(p.endswith(os.path.join("samples", "model", "model.json")) for p in found)
    # the file core's jar packages (core/pom.xml) is this one
    assert os.path.isfile(SCHEMA_PATH) and SCHEMA_PATH == os.path.normpath(os.path.join(ROOT, "models",
                                                                                         "bundle.schema.json"))


def test_a_missing_field_or_a_wrong_type_is_named():
    meta = _embedded()
    del meta["output"]["num_keypoints"]
    with pytest.raises(ValueError, match=r"x/model.json does not fit .*\$\.output: 'num_keypoints' is a required"):
        check_bundle_json(meta, "x/model.json")
    meta = _embedded()
    meta["categories"][1]["id"] = "3"
    with pytest.raises(ValueError, match=r"\$\.categories\[1\]\.id: '3' is not of type 'integer'"):
        check_bundle_json(meta)
    meta = _embedded()
    meta["test_time"]["flip"] = "yes"
    with pytest.raises(ValueError, match=r"\$\.test_time\.flip: 'yes' is not of type 'boolean'"):
        check_bundle_json(meta)


def test_write_bundle_refuses_a_descriptor_that_does_not_fit(tmp_path):
    torch.manual_seed(0)
    model = build_model({"fpn_channels": 32, "box_repr": 64, "mask_channels": 32, "keypoint_channels": 32,
                         "keypoint_layers": 2, "mask_layers": 2}).eval()
    cats = copy.deepcopy(export.default_categories())
    cats[2]["name"] = 7
    with pytest.raises(ValueError, match=r"\$\.categories\[2\]\.name: 7 is not of type 'string'"):
        export.write_bundle(model, str(tmp_path), cats, 320, 512)
    assert not (tmp_path / "model.json").exists()
