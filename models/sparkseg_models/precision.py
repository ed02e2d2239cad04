"""Reduced-precision variants of a bundle's model: ``model-fp16.pt`` / ``model-bf16.pt`` next to ``model.pt``,
declared in model.json's ``precisions`` (file and sha256), which the Java side loads for ``--precision``.

Only convolution towers run in the low precision (``PARTS``): in fp16 the backbone with its FPN, the mask head and
mask predictor and the keypoint head; in bf16 the heads alone (bfloat16 keeps 8 bits of mantissa: a bf16 backbone
moved boxes by more than the 1 px the parity rule allows, models/HISTORY.md). Each part casts its input down and
its output back to float32, so the RPN, the box head and scores, box decoding, NMS, the keypoint heat maps and the
mask probabilities stay float32 (a box coordinate of 500 px in bfloat16 would be off by 2 px; a score near the
threshold would flip). The caller's tensors stay float32 too.

Usage::

  # copy a bundle to --out and add its bfloat16 variant there (without --out: into the bundle folder itself)
  python -m sparkseg_models.precision --bundle ../samples/model --precision bf16 --out /tmp/model-bf16
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
from typing import Dict

import torch
from torch import Tensor, nn

from .bundle_schema import check_bundle_json

DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}
HEADS = ("roi_heads.mask_head", "roi_heads.mask_predictor", "roi_heads.keypoint_head")
PARTS = {"fp16": ("backbone",) + HEADS, "bf16": HEADS}


class LowPrecision(nn.Module):
    """A Tensor -> Tensor module whose weights are in a low precision: its input is cast to the weights' dtype and
    its output back to float32. The dtype is read from the weights at run time, so a caller may convert the
    wrapped module again (``.half()`` on a GPU) without re-exporting."""

    def __init__(self, inner: nn.Module, dtype: torch.dtype):
        super().__init__()
        self.inner = inner.to(dtype)
        self.register_buffer("probe", torch.zeros(0, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        return self.inner(x.to(self.probe.dtype)).to(torch.float32)


class LowPrecisionFeatures(nn.Module):
    """``LowPrecision`` for the backbone, whose output is a dict of feature maps."""

    def __init__(self, inner: nn.Module, dtype: torch.dtype):
        super().__init__()
        self.inner = inner.to(dtype)
        self.register_buffer("probe", torch.zeros(0, dtype=dtype))

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        out: Dict[str, Tensor] = {}
        for k, v in self.inner(x.to(self.probe.dtype)).items():
            out[k] = v.to(torch.float32)
        return out


def lower_precision(model: nn.Module, precision: str) -> nn.Module:
    """``model`` (an eager sparkseg / torchvision Mask R-CNN) with ``PARTS[precision]`` in its dtype, in place."""
    dtype = DTYPES[precision]
    for part in PARTS[precision]:
        if part == "backbone":
            model.backbone = LowPrecisionFeatures(model.backbone, dtype)
        elif getattr(model.roi_heads, part.split(".")[1], None) is not None:
            name = part.split(".")[1]
            setattr(model.roi_heads, name, LowPrecision(getattr(model.roi_heads, name), dtype))
    return model


def description(precision: str) -> str:
    """model.json's note of what runs in the low precision."""
    names = {"backbone": "backbone with FPN", "roi_heads.mask_head": "mask head",
             "roi_heads.mask_predictor": "mask predictor", "roi_heads.keypoint_head": "keypoint head"}
    low = ", ".join(names[p] for p in PARTS[precision])
    return (f"{low} in {str(DTYPES[precision]).replace('torch.', '')}; everything else (RPN, box head, scores, box "
            "decoding, NMS, keypoint heat maps, mask probabilities) in float32")


def variant_file(precision: str) -> str:
    return f"model-{precision}.pt"


def add_variant(bundle_dir: str, precision: str, out_dir: str | None = None, model: nn.Module | None = None) -> dict:
    """Writes ``precision``'s variant of ``bundle_dir``'s model into ``out_dir`` (a copy of the bundle; default the
    bundle folder itself) and declares it in that folder's model.json; returns the new model.json. ``model``: the
    bundle's eager model (changed in place), for a bundle whose model.json does not record how to build it (a
    converted checkpoint); by default it is rebuilt from model.json's ``training.model_config``."""
    from .export import load_bundle_model, script_bundle_module, sha256_of, torchvision_ops_in_archive
    if precision not in DTYPES:
        raise ValueError(f"precision must be one of {sorted(DTYPES)}, got '{precision}' (fp32 is model.pt itself)")
    out_dir = out_dir or bundle_dir
    if model is None:
        model, meta = load_bundle_model(bundle_dir)
    else:
        with open(os.path.join(bundle_dir, "model.json")) as f:
            meta = json.load(f)
    if os.path.abspath(out_dir) != os.path.abspath(bundle_dir):
        os.makedirs(out_dir, exist_ok=True)
        for name in os.listdir(bundle_dir):
            if os.path.isfile(os.path.join(bundle_dir, name)):
                shutil.copyfile(os.path.join(bundle_dir, name), os.path.join(out_dir, name))
    cats = meta["categories"]
    keypoint_labels = sorted(int(c["label"]) for c in cats if c.get("keypoints"))
    names = next((list(c["keypoints"]) for c in cats if c.get("keypoints")), None)
    norm = meta["input"]["normalization"]
    scripted, _, _, _ = script_bundle_module(lower_precision(model, precision), norm["mean"], norm["std"],
                                             keypoint_labels, names)
    pt = os.path.join(out_dir, variant_file(precision))
    scripted.save(pt + ".tmp")
    bad = torchvision_ops_in_archive(pt + ".tmp")
    if bad:
        os.remove(pt + ".tmp")
        raise RuntimeError("scripted model still calls torchvision ops:\n" + "\n".join(bad[:10]))
    os.replace(pt + ".tmp", pt)
    variants = dict(meta.get("precisions") or {})
    variants[precision] = {"model_file": variant_file(precision), "sha256": sha256_of(pt),
                           "low_precision": description(precision)}
    meta["precisions"] = variants
    descriptor = os.path.join(out_dir, "model.json")
    check_bundle_json(meta, descriptor)
    with open(descriptor, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", required=True, help="the bundle folder (its model.pt is the float32 model)")
    ap.add_argument("--precision", required=True, choices=sorted(DTYPES))
    ap.add_argument("--out", default=None, help="copy the bundle here and add the variant to the copy")
    a = ap.parse_args(argv)
    meta = add_variant(a.bundle, a.precision, a.out)
    out = a.out or a.bundle
    v = meta["precisions"][a.precision]
    size = os.path.getsize(os.path.join(out, v["model_file"]))
    print(f"wrote {out}/{v['model_file']} ({size / 1e6:.1f} MB, sha256 {v['sha256']}) and declared it in model.json")


if __name__ == "__main__":
    main()
