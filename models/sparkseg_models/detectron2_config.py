"""Detectron2 config files for the converter (``detectron2.py``): the keys a converted model depends on, with
Detectron2's defaults (``config/defaults.py``), read from a model-zoo YAML (following ``_BASE_``) or a JSON, and
checked for what the converter builds."""
from __future__ import annotations

import ast
import json
import os
from typing import Dict, List, Optional, Tuple

# Detectron2's config/defaults.py values of the keys a converted model depends on
DEFAULTS = {
    "MODEL.META_ARCHITECTURE": "GeneralizedRCNN",       # the only one converted
    "MODEL.MASK_ON": False,                             # mask head
    "MODEL.KEYPOINT_ON": False,                         # keypoint head
    "MODEL.PIXEL_MEAN": [103.530, 116.280, 123.675],    # in INPUT.FORMAT order, 0..255
    "MODEL.PIXEL_STD": [1.0, 1.0, 1.0],
    "INPUT.FORMAT": "BGR",                              # channel order the network reads
    "INPUT.MIN_SIZE_TEST": 800,                         # ResizeShortestEdge short side
    "INPUT.MAX_SIZE_TEST": 1333,                        # ... and long side cap
    "MODEL.BACKBONE.NAME": "build_resnet_backbone",     # must be build_resnet_fpn_backbone
    "MODEL.RESNETS.DEPTH": 50,
    "MODEL.RESNETS.OUT_FEATURES": ["res4"],
    "MODEL.RESNETS.NUM_GROUPS": 1,
    "MODEL.RESNETS.NORM": "FrozenBN",
    "MODEL.RESNETS.WIDTH_PER_GROUP": 64,
    "MODEL.RESNETS.STRIDE_IN_1X1": True,                # MSRA: the stride sits in the 1x1 conv
    "MODEL.RESNETS.RES5_DILATION": 1,
    "MODEL.RESNETS.RES2_OUT_CHANNELS": 256,
    "MODEL.RESNETS.STEM_OUT_CHANNELS": 64,
    "MODEL.RESNETS.DEFORM_ON_PER_STAGE": [False, False, False, False],
    "MODEL.FPN.IN_FEATURES": [],
    "MODEL.FPN.OUT_CHANNELS": 256,
    "MODEL.FPN.NORM": "",
    "MODEL.FPN.FUSE_TYPE": "sum",
    "MODEL.PROPOSAL_GENERATOR.NAME": "RPN",
    "MODEL.PROPOSAL_GENERATOR.MIN_SIZE": 0,             # proposals need sides > this
    "MODEL.ANCHOR_GENERATOR.NAME": "DefaultAnchorGenerator",
    "MODEL.ANCHOR_GENERATOR.SIZES": [[32, 64, 128, 256, 512]],
    "MODEL.ANCHOR_GENERATOR.ASPECT_RATIOS": [[0.5, 1.0, 2.0]],
    "MODEL.ANCHOR_GENERATOR.OFFSET": 0.0,
    "MODEL.RPN.HEAD_NAME": "StandardRPNHead",
    "MODEL.RPN.IN_FEATURES": ["res4"],
    "MODEL.RPN.BBOX_REG_WEIGHTS": [1.0, 1.0, 1.0, 1.0],
    "MODEL.RPN.PRE_NMS_TOPK_TEST": 6000,                # per feature level
    "MODEL.RPN.POST_NMS_TOPK_TEST": 1000,               # per image
    "MODEL.RPN.NMS_THRESH": 0.7,
    "MODEL.RPN.CONV_DIMS": [-1],
    "MODEL.ROI_HEADS.NAME": "Res5ROIHeads",             # must be StandardROIHeads
    "MODEL.ROI_HEADS.NUM_CLASSES": 80,
    "MODEL.ROI_HEADS.IN_FEATURES": ["res4"],
    "MODEL.ROI_HEADS.SCORE_THRESH_TEST": 0.05,
    "MODEL.ROI_HEADS.NMS_THRESH_TEST": 0.5,
    "TEST.DETECTIONS_PER_IMAGE": 100,
    "MODEL.ROI_BOX_HEAD.NAME": "",                      # must be FastRCNNConvFCHead
    "MODEL.ROI_BOX_HEAD.BBOX_REG_WEIGHTS": [10.0, 10.0, 5.0, 5.0],
    "MODEL.ROI_BOX_HEAD.POOLER_RESOLUTION": 14,
    "MODEL.ROI_BOX_HEAD.POOLER_SAMPLING_RATIO": 0,
    "MODEL.ROI_BOX_HEAD.POOLER_TYPE": "ROIAlignV2",
    "MODEL.ROI_BOX_HEAD.NUM_FC": 0,
    "MODEL.ROI_BOX_HEAD.FC_DIM": 1024,
    "MODEL.ROI_BOX_HEAD.NUM_CONV": 0,
    "MODEL.ROI_BOX_HEAD.NORM": "",
    "MODEL.ROI_BOX_HEAD.CLS_AGNOSTIC_BBOX_REG": False,
    "MODEL.ROI_BOX_HEAD.USE_SIGMOID_CE": False,
    "MODEL.ROI_MASK_HEAD.NAME": "MaskRCNNConvUpsampleHead",
    "MODEL.ROI_MASK_HEAD.POOLER_RESOLUTION": 14,
    "MODEL.ROI_MASK_HEAD.POOLER_SAMPLING_RATIO": 0,
    "MODEL.ROI_MASK_HEAD.POOLER_TYPE": "ROIAlignV2",
    "MODEL.ROI_MASK_HEAD.NUM_CONV": 0,
    "MODEL.ROI_MASK_HEAD.CONV_DIM": 256,
    "MODEL.ROI_MASK_HEAD.NORM": "",
    "MODEL.ROI_MASK_HEAD.CLS_AGNOSTIC_MASK": False,
    "MODEL.ROI_KEYPOINT_HEAD.NAME": "KRCNNConvDeconvUpsampleHead",
    "MODEL.ROI_KEYPOINT_HEAD.POOLER_RESOLUTION": 14,
    "MODEL.ROI_KEYPOINT_HEAD.POOLER_SAMPLING_RATIO": 0,
    "MODEL.ROI_KEYPOINT_HEAD.POOLER_TYPE": "ROIAlignV2",
    "MODEL.ROI_KEYPOINT_HEAD.CONV_DIMS": [512] * 8,
    "MODEL.ROI_KEYPOINT_HEAD.NUM_KEYPOINTS": 17,
}

# what this converter builds; any other value is refused by name
REQUIRED = {
    "MODEL.META_ARCHITECTURE": "GeneralizedRCNN",
    "MODEL.BACKBONE.NAME": "build_resnet_fpn_backbone",
    "MODEL.RESNETS.NORM": "FrozenBN",
    "MODEL.RESNETS.OUT_FEATURES": ["res2", "res3", "res4", "res5"],
    "MODEL.RESNETS.DEFORM_ON_PER_STAGE": [False, False, False, False],
    "MODEL.FPN.IN_FEATURES": ["res2", "res3", "res4", "res5"],
    "MODEL.FPN.NORM": "",
    "MODEL.PROPOSAL_GENERATOR.NAME": "RPN",
    "MODEL.ANCHOR_GENERATOR.NAME": "DefaultAnchorGenerator",
    "MODEL.RPN.HEAD_NAME": "StandardRPNHead",
    "MODEL.RPN.IN_FEATURES": ["p2", "p3", "p4", "p5", "p6"],
    "MODEL.RPN.CONV_DIMS": [-1],
    "MODEL.ROI_HEADS.NAME": "StandardROIHeads",
    "MODEL.ROI_HEADS.IN_FEATURES": ["p2", "p3", "p4", "p5"],
    "MODEL.ROI_BOX_HEAD.NAME": "FastRCNNConvFCHead",
    "MODEL.ROI_BOX_HEAD.NUM_CONV": 0,
    "MODEL.ROI_BOX_HEAD.NORM": "",
    "MODEL.ROI_BOX_HEAD.USE_SIGMOID_CE": False,
    "MODEL.ROI_MASK_HEAD.NAME": "MaskRCNNConvUpsampleHead",
    "MODEL.ROI_MASK_HEAD.NORM": "",
    "MODEL.ROI_KEYPOINT_HEAD.NAME": "KRCNNConvDeconvUpsampleHead",
}
POOLER_TYPES = ("MODEL.ROI_BOX_HEAD.POOLER_TYPE", "MODEL.ROI_MASK_HEAD.POOLER_TYPE",
                "MODEL.ROI_KEYPOINT_HEAD.POOLER_TYPE")
RESNET_BLOCKS = {50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3]}


def _flatten(tree: dict, prefix: str = "") -> dict:
    flat = {}
    for k, v in tree.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            flat.update(_flatten(v, key + "."))
        else:
            flat[key] = v
    return flat


def _value(v):
    # yacs reads "(10.0, 10.0, 5.0, 5.0)" and the like with literal_eval: so does this
    if isinstance(v, str) and v[:1] in "([":
        try:
            v = ast.literal_eval(v)
        except (ValueError, SyntaxError):
            return v
    if isinstance(v, tuple):
        v = list(v)
    if isinstance(v, list):
        return [_value(x) for x in v]
    return v


def _read_tree(path: str, seen: Tuple[str, ...] = ()) -> dict:
    """The flat keys of a Detectron2 YAML (following ``_BASE_``, as yacs merges it) or JSON config file."""
    path = os.path.abspath(path)
    if path in seen:
        raise ValueError(f"config {path}: _BASE_ cycle through {list(seen)}")
    if not os.path.isfile(path):
        raise ValueError(f"config {path}: no such file" + (f" (the _BASE_ of {seen[-1]})" if seen else ""))
    with open(path) as f:
        if path.endswith(".json"):
            tree = json.load(f)
        else:
            import yaml
            tree = yaml.safe_load(f) or {}
    if not isinstance(tree, dict):
        raise ValueError(f"config {path}: expected a mapping of config keys")
    flat = {}
    base = tree.pop("_BASE_", None)
    if base:
        flat.update(_read_tree(os.path.join(os.path.dirname(path), base), seen + (path,)))
    for k, v in _flatten(tree).items():
        if not k.startswith("_"):   # _comment and the like
            flat[k] = _value(v)
    return flat


def load_config(path: Optional[str] = None, overrides: Optional[Dict[str, object]] = None) -> dict:
    """Detectron2's defaults for the keys in ``DEFAULTS``, updated from a config file (YAML with ``_BASE_``, or JSON,
    nested or with dotted keys) and then ``overrides`` (dotted keys); checked for what this converter can build."""
    cfg = dict(DEFAULTS)
    if path:
        cfg.update({k: v for k, v in _read_tree(path).items() if k in DEFAULTS})
    for k, v in (overrides or {}).items():
        if k not in DEFAULTS:
            raise ValueError(f"config override {k}: not a key the converter reads (one of {sorted(DEFAULTS)})")
        cfg[k] = _value(v)
    check_config(cfg, path or "the default config")
    return cfg


def check_config(cfg: dict, where: str) -> None:
    for k, want in REQUIRED.items():
        if _value(cfg[k]) != want:
            raise ValueError(f"{where}: {k} is {cfg[k]!r}; the Detectron2 converter supports only {want!r}")
    for k in POOLER_TYPES:
        if cfg[k] != "ROIAlignV2":
            raise ValueError(f"{where}: {k} is {cfg[k]!r}; only ROIAlignV2 is supported")
    if cfg["MODEL.RESNETS.DEPTH"] not in RESNET_BLOCKS:
        raise ValueError(f"{where}: MODEL.RESNETS.DEPTH {cfg['MODEL.RESNETS.DEPTH']} is not a bottleneck ResNet "
                         f"(one of {sorted(RESNET_BLOCKS)})")
    if cfg["MODEL.RESNETS.RES5_DILATION"] not in (1, 2):
        raise ValueError(f"{where}: MODEL.RESNETS.RES5_DILATION must be 1 or 2")
    if cfg["MODEL.FPN.FUSE_TYPE"] not in ("sum", "avg"):
        raise ValueError(f"{where}: MODEL.FPN.FUSE_TYPE {cfg['MODEL.FPN.FUSE_TYPE']!r} is not sum or avg")
    if cfg["INPUT.FORMAT"] not in ("BGR", "RGB"):
        raise ValueError(f"{where}: INPUT.FORMAT {cfg['INPUT.FORMAT']!r} is not BGR or RGB")
    if not isinstance(cfg["INPUT.MIN_SIZE_TEST"], int) or cfg["INPUT.MIN_SIZE_TEST"] <= 0 \
            or cfg["INPUT.MAX_SIZE_TEST"] < cfg["INPUT.MIN_SIZE_TEST"]:
        raise ValueError(f"{where}: INPUT.MIN_SIZE_TEST must be a positive int (one test size) <= MAX_SIZE_TEST, "
                         f"got {cfg['INPUT.MIN_SIZE_TEST']!r} / {cfg['INPUT.MAX_SIZE_TEST']!r}")
    if len(cfg["MODEL.PIXEL_MEAN"]) != 3 or len(cfg["MODEL.PIXEL_STD"]) != 3:
        raise ValueError(f"{where}: MODEL.PIXEL_MEAN and PIXEL_STD need three values")
    if cfg["MODEL.ROI_BOX_HEAD.NUM_FC"] < 1:
        raise ValueError(f"{where}: MODEL.ROI_BOX_HEAD.NUM_FC must be >= 1")


def anchor_params(cfg: dict) -> Tuple[List[List[float]], List[List[float]]]:
    """Anchor sizes and aspect ratios per RPN level, broadcast as Detectron2's anchor generator does."""
    out = []
    for key in ("MODEL.ANCHOR_GENERATOR.SIZES", "MODEL.ANCHOR_GENERATOR.ASPECT_RATIOS"):
        p = cfg[key]
        if not isinstance(p[0], list):
            p = [p] * 5
        elif len(p) == 1:
            p = list(p) * 5
        if len(p) != 5:
            raise ValueError(f"{key} has {len(p)} entries for 5 RPN levels")
        out.append([[float(x) for x in v] for v in p])
    return out[0], out[1]
