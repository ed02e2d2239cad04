"""Random Detectron2-format weights from a seed (the recipe behind the Detectron2 parity goldens), so no weights
are committed: CI writes them again with this file and gets the same tensors.

Recipe (``make_weights``), on the CPU with torch 1.13:

1. Every conv / linear weight is uniform in +-sqrt(6 / fan_in) (He), drawn from ``torch.rand`` with a generator
   seeded with ``seed``, in ``state_dict`` order; biases 0; FrozenBN weight 1, bias 0. (Uniform draws and one
   multiply-add are exact IEEE arithmetic on any CPU; ``normal_`` is not.)
2. FrozenBN statistics are calibrated on ``CALIBRATION_IMAGES[0]`` (resized as the bundle's caller resizes it):
   in forward order, each FrozenBN's running mean and variance become its input's per-channel statistics, so
   every layer sees unit-scale activations.
3. Random heads give flat, tied scores; the recipe makes them decisive and varied: the RPN's objectness weights
   are scaled x4 (proposals ranked by image content, no ties); six classes (``ACTIVE_CLASSES``: person, bicycle,
   car, dog, bottle, chair) keep their logits, scaled by a power of two to a spread of about ``LOGIT_SPREAD`` and
   centred (bias = -centre, in quarters) over the proposals of all ``CALIBRATION_IMAGES``; the other classes get
   zero weights and bias ``INACTIVE_LOGIT``; the background bias (in quarters) makes about
   ``CONFIDENT_FRACTION`` of those proposals score over 0.5. Box deltas are scaled x1/8; mask and keypoint
   predictors keep their He draw (blob-shaped masks, peaked heat maps).

Steps 2 and 3 measure in float64 and store float32 (or quarters, powers of two): another CPU's rounding moves the
measurements by about 1e-16, far below those steps, so every machine writes the same tensors (``state_sha256``
is recorded with the goldens and checked by the tests).

  python3 -m sparkseg_models.detectron2_weights --config ../samples/golden-detectron2/config.json \\
      --out weights.pth [--pkl weights.pkl]
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import pickle
from typing import Dict, List, Optional

import numpy as np
import torch
from PIL import Image
from torch import Tensor, nn

from . import detectron2 as d2
from .detectron2_config import load_config

SEED = 2032
# the classes that get detections (Detectron2's contiguous COCO indices: person, bicycle, car, dog, bottle, chair);
# the others' logits sit at INACTIVE_LOGIT
ACTIVE_CLASSES = [0, 1, 2, 16, 39, 56]
INACTIVE_LOGIT = -30.0
LOGIT_SPREAD = 2.0           # standard deviation of the active class logits on the calibration image
CONFIDENT_FRACTION = 0.01    # of the calibration image's proposals that score over 0.5
SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples")
IMAGES = os.path.join(SAMPLES, "images")
# FrozenBN scales come from the first; the class logits are centred and scaled over the proposals of all
CALIBRATION_IMAGES = ["val_000000.jpg", "val_000001.jpg", "val_000002.jpg", "val_000003.jpg"]


def resized_input(path: str, cfg: dict) -> Tensor:
    """The image as the bundle's caller feeds it: RGB, Detectron2's ResizeShortestEdge with PIL bilinear, / 255."""
    img = Image.open(path).convert("RGB")
    h, w = shortest_edge_size(img.height, img.width, cfg["INPUT.MIN_SIZE_TEST"], cfg["INPUT.MAX_SIZE_TEST"])
    arr = np.asarray(img.resize((w, h), Image.BILINEAR))
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).float()[None] / 255


def shortest_edge_size(h: int, w: int, short: int, max_size: int):
    """(height, width) after Detectron2's ResizeShortestEdge (double arithmetic, sides rounded half up)."""
    scale = short * 1.0 / min(h, w)
    nh, nw = (short * 1.0, scale * w) if h < w else (scale * h, short * 1.0)
    if max(nh, nw) > max_size:
        scale = max_size * 1.0 / max(nh, nw)
        nh, nw = nh * scale, nw * scale
    return int(nh + 0.5), int(nw + 0.5)


def _he_uniform(model: nn.Module, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".weight") and p.dim() >= 2:
                fan_in = p[0].numel() if not isinstance(_owner(model, name), nn.ConvTranspose2d) \
                    else p.shape[0] * p[0, 0].numel()
                bound = (6.0 / fan_in) ** 0.5
                p.copy_(torch.rand(p.shape, generator=g) * (2 * bound) - bound)
            else:
                p.zero_()


def _owner(model: nn.Module, name: str) -> nn.Module:
    return model.get_submodule(name.rsplit(".", 1)[0])


def _normalized(model: d2.Detectron2RCNN, image: Tensor) -> Tensor:
    x = image.flip(1) if model.bgr else image
    x = (x * 255.0 - model.pixel_mean) / model.pixel_std
    h, w = x.shape[-2:]
    return torch.nn.functional.pad(x, (0, (w + 31) // 32 * 32 - w, 0, (h + 31) // 32 * 32 - h))


def _frozen_bns(model: nn.Module):
    return [m for m in model.modules() if isinstance(m, d2.FrozenBN)]


def make_weights(cfg: dict, seed: int = SEED) -> Dict[str, Tensor]:
    """The recipe's weights for the model ``cfg`` describes (see the module docstring)."""
    model = d2.build_model(cfg)
    _he_uniform(model, seed)
    rh = model.roi_heads
    with torch.no_grad():
        model.proposal_generator.rpn_head.objectness_logits.weight.mul_(4.0)
        model.proposal_generator.rpn_head.anchor_deltas.weight.mul_(0.125)
        rh.box_predictor.bbox_pred.weight.mul_(0.125)
    # the measurements run in float64: another CPU's rounding then moves them by about 1e-16, far below the
    # float32 steps they are stored in
    m64 = copy.deepcopy(model).double()
    images = [resized_input(os.path.join(IMAGES, f), cfg).double() for f in CALIBRATION_IMAGES]

    def hook(module: d2.FrozenBN, args):
        x = args[0]
        module.running_var.copy_(x.var(dim=(0, 2, 3), unbiased=False))
        module.running_mean.copy_(x.mean(dim=(0, 2, 3)))

    handles = [m.register_forward_pre_hook(hook) for m in _frozen_bns(m64)]
    r64 = m64.roi_heads
    with torch.no_grad():
        m64.backbone(_normalized(m64, images[0]))
        for h in handles:
            h.remove()
        for ours, theirs in zip(_frozen_bns(model), _frozen_bns(m64)):
            ours.running_mean.copy_(theirs.running_mean.float())
            ours.running_var.copy_(theirs.running_var.float())
        fg = []
        for image in images:
            features = m64.backbone(_normalized(m64, image))
            proposals = m64.proposal_generator(features, [(image.shape[-2], image.shape[-1])])
            logits, _ = r64.box_predictor(r64.box_head(d2.pool(features[:4], proposals, r64.box_resolution,
                                                               r64.box_sampling)))
            fg.append(logits)
        active = [c for c in ACTIVE_CLASSES if c < rh.num_classes] or [0]
        logits = torch.cat(fg)[:, active]
        gain = 2.0 ** float(torch.round(torch.log2(LOGIT_SPREAD / (logits - logits.mean(0)).std())))
        logits = logits * gain
        centres = torch.round(logits.mean(0) * 4) / 4
        cls = rh.box_predictor.cls_score
        keep = torch.zeros(cls.weight.shape[0], 1)
        keep[active] = 1.0
        cls.weight.mul_(keep * gain)
        cls.bias.fill_(INACTIVE_LOGIT)
        cls.bias[active] = -centres.float()
        cls.bias[-1] = _background_bias(logits - centres, CONFIDENT_FRACTION).float()
    return model.state_dict()


def _background_bias(fg: Tensor, fraction: float) -> Tensor:
    """The background logit (a multiple of 1/4) under which about ``fraction`` of the proposals score over 0.5."""
    lo, hi = -20.0, 20.0
    for _ in range(60):
        mid = (lo + hi) / 2
        probs = torch.softmax(torch.cat([fg, torch.full((fg.shape[0], 1), mid)], dim=1), dim=1)[:, :-1]
        if float((probs.max(dim=1).values > 0.5).float().mean()) > fraction:
            lo = mid
        else:
            hi = mid
    return torch.round(torch.tensor(lo) * 4) / 4


def state_sha256(state: Dict[str, Tensor]) -> str:
    h = hashlib.sha256()
    for k in sorted(state):
        h.update(k.encode())
        h.update(state[k].contiguous().numpy().tobytes())
    return h.hexdigest()


def save(state: Dict[str, Tensor], pth: Optional[str] = None, pkl: Optional[str] = None) -> None:
    """As Detectron2 writes them: ``.pth`` = {"model": state_dict} (its checkpointer), ``.pkl`` = the model zoo's
    {"model": {name: ndarray}, "__author__": ...}."""
    if pth:
        torch.save({"model": state}, pth)
    if pkl:
        with open(pkl, "wb") as f:
            pickle.dump({"model": {k: v.numpy() for k, v in state.items()}, "__author__": "sparkseg recipe",
                         "matching_heuristics": False}, f)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="Detectron2 YAML (with _BASE_) or JSON config")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="config overrides")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", default=None, help=".pth to write")
    ap.add_argument("--pkl", default=None, help="model-zoo style .pkl to write")
    a = ap.parse_args(argv)
    torch.set_num_threads(min(2, torch.get_num_threads()))
    state = make_weights(load_config(a.config, parse_overrides(a.set)), a.seed)
    save(state, a.out, a.pkl)
    print(json.dumps({"sha256": state_sha256(state), "seed": a.seed}))


def parse_overrides(items) -> dict:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise SystemExit(f"--set {item}: expected KEY=VALUE")
        k, v = item.split("=", 1)
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


if __name__ == "__main__":
    main()
