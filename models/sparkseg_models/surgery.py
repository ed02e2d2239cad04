"""State-dict surgery: the weights of a trained model grown to a larger architecture (``train --init-bundle``), each
added part starting as a no-op so that the grown model first predicts what the old one did."""
from __future__ import annotations

from typing import Dict

import torch
from torch import Tensor
from torchvision.models.detection import MaskRCNN


def grow_state_dict(state_dict: Dict[str, Tensor], old_cfg: dict, model: MaskRCNN) -> Dict[str, Tensor]:
    """Weights of a model built with ``old_cfg``, grown to ``model``'s architecture without changing its output
    (up to the new fine level, whose masks start from the stride-8 level): each part the new config adds
    starts as a no-op, so training resumes from the old model's accuracy and only has to use the new part."""
    new_cfg = model.sparkseg_config
    out = dict(state_dict)
    if new_cfg["fine_level"] and not old_cfg.get("fine_level"):
        out = widen_to_fine_level(out, model)
    own = model.state_dict()
    if new_cfg["deep_taps"] and not old_cfg.get("deep_taps"):
        # the deep block's channels are appended to each lateral's input: zero weights there
        for k, v in own.items():
            if k.startswith("backbone.fpn.inner_blocks.") and k.endswith(".0.weight") and out[k].shape != v.shape:
                out[k] = widened_with_zeros(out[k], v)
    # a refinement's pool projection and convs are new modules (its last conv zero); its width is fixed once trained
    for option, parts in (("mask_refine_channels", ("roi_heads.mask_roi_pool.", "roi_heads.mask_predictor.")),
                          ("keypoint_refine_channels", ("roi_heads.keypoint_roi_pool.",
                                                        "roi_heads.keypoint_predictor.refine"))):
        old, new = int(old_cfg.get(option, 0)), int(new_cfg[option])
        if old and new != old:
            raise ValueError(f"{option} cannot change once trained ({old} -> {new})")
        if new and not old:
            for k, v in own.items():
                if k not in out and k.startswith(parts):
                    out[k] = v.clone()
    if new_cfg["mask_image_detail"] and not old_cfg.get("mask_image_detail"):
        # the image's channels are appended to the input of each refinement trained without them: zero weights
        for k in ("roi_heads.mask_predictor.refine1.weight", "roi_heads.keypoint_predictor.refine1.weight"):
            if k in out and out[k].shape != own[k].shape:
                out[k] = widened_with_zeros(out[k], own[k])
    old_extra = int(old_cfg.get("keypoint_context_layers", 0))
    if new_cfg["keypoint_context_layers"] > old_extra:
        # an identity 3x3 kernel after a ReLU passes its input through: the extra convs start as no-ops
        for k, v in own.items():
            if k.startswith("roi_heads.keypoint_head.") and k not in out:
                if k.endswith(".weight"):
                    w = torch.zeros_like(v)
                    w[torch.arange(v.shape[0]), torch.arange(v.shape[1]), 1, 1] = 1.0
                    out[k] = w
                else:
                    out[k] = torch.zeros_like(v)
    return out


def widened_with_zeros(weight: Tensor, like: Tensor) -> Tensor:
    """A conv ``weight`` widened to ``like``'s shape by zero weights on the new input channels (appended)."""
    grown = torch.zeros_like(like)
    grown[:, :weight.shape[1]] = weight
    return grown


def widen_to_fine_level(state_dict: Dict[str, Tensor], model: MaskRCNN) -> Dict[str, Tensor]:
    """Weights of a model without the fine level, re-keyed for ``model`` (built with ``fine_level``).

    The FPN blocks shift by one index. The new stride-4 blocks start as a zero lateral and a copy of the
    stride-8 output conv, so the fine level first reproduces an upsampled stride-8 level and training
    only has to add the detail.
    """
    out: Dict[str, Tensor] = {}
    for k, v in state_dict.items():
        for part in ("backbone.fpn.inner_blocks.", "backbone.fpn.layer_blocks."):
            if k.startswith(part):
                i, rest = k[len(part):].split(".", 1)
                k = f"{part}{int(i) + 1}.{rest}"
        out[k] = v
    own = model.state_dict()
    for k, v in own.items():
        if k.startswith("backbone.fpn.inner_blocks.0."):
            out[k] = torch.zeros_like(v)
        elif k.startswith("backbone.fpn.layer_blocks.0."):
            out[k] = out[k.replace("layer_blocks.0.", "layer_blocks.1.")].clone()
    return out
