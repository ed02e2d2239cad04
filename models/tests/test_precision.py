"""sparkseg_models.precision: a reduced-precision variant next to model.pt, declared in model.json. (Running the
variants is the Java parity test's: torch 1.13 has no CPU kernels for them; the engine's libtorch 2.7 has.)"""
import json
import os

import pytest
import torch

from sparkseg_models import precision
from sparkseg_models.bundle_schema import check_bundle_json
from sparkseg_models.export import sha256_of

SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "samples", "model")


def test_variant_is_declared_and_keeps_the_sensitive_parts_in_float32(tmp_path):
    out = tmp_path / "b"
    meta = precision.add_variant(SAMPLE, "bf16", str(out))
    v = meta["precisions"]["bf16"]
    assert v["model_file"] == "model-bf16.pt" and v["sha256"] == sha256_of(str(out / "model-bf16.pt"))
    on_disk = json.loads((out / "model.json").read_text())
    check_bundle_json(on_disk)
    assert on_disk["sha256"] == sha256_of(str(out / "model.pt")), "model.pt is copied unchanged"
    m = torch.jit.load(str(out / "model-bf16.pt"))
    dtypes = {name: p.dtype for name, p in m.named_parameters()}
    assert any(d == torch.bfloat16 for d in dtypes.values())
    for k, d in dtypes.items():
        low = k.startswith(("roi_heads.mask_head.", "roi_heads.mask_predictor.", "roi_heads.keypoint_head."))
        assert d == (torch.bfloat16 if low else torch.float32), k  # bf16: the heads only, the backbone float32
    # a second variant joins the first in the same model.json
    meta = precision.add_variant(str(out), "fp16")
    assert sorted(meta["precisions"]) == ["bf16", "fp16"]
    fp16 = {k: p.dtype for k, p in torch.jit.load(str(out / "model-fp16.pt")).named_parameters()}
    assert all(d == torch.float16 for k, d in fp16.items() if k.startswith("backbone."))
    assert all(d == torch.float32 for k, d in fp16.items() if k.startswith(("rpn.", "roi_heads.box_")))


def test_fp32_is_not_a_variant(tmp_path):
    with pytest.raises(ValueError, match="fp32 is model.pt itself"):
        precision.add_variant(SAMPLE, "fp32", str(tmp_path / "b"))


def test_schema_refuses_an_unknown_precision_name():
    meta = json.load(open(os.path.join(SAMPLE, "model.json")))
    meta["precisions"] = {"int8": {"model_file": "m.pt", "sha256": "ab"}}
    with pytest.raises(ValueError, match="precisions"):
        check_bundle_json(meta)
