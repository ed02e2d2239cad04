"""``export detectron2``: a Detectron2 checkpoint (model-zoo ``.pkl`` or ``.pth``) and its config into a sparkseg
bundle (``detectron2.py`` holds the model, ``detectron2_config.py`` the config keys)."""
from __future__ import annotations

import json
import os
import pickle
from typing import Dict, List, Optional

import torch
from torch import Tensor

from .detectron2 import Detectron2RCNN, build_model
from .detectron2_config import load_config

def read_weights(path: str) -> Dict[str, Tensor]:
    """A Detectron2 checkpoint's state dict: a model-zoo pickle ``{"model": {name: ndarray}, "__author__": ...}``
    or a ``.pth`` (``{"model": state_dict, ...}`` as Detectron2's checkpointer saves it, or a bare state dict)."""
    if path.endswith(".pkl"):
        with open(path, "rb") as f:
            data = pickle.load(f, encoding="latin1")
        if isinstance(data, dict) and "blobs" in data:
            raise ValueError(f"{path}: a Caffe2/Detectron1 blob file (ImageNet backbone), not a Detectron2 model; "
                             "convert a model_final_*.pkl of the model zoo")
    else:
        data = torch.load(path, map_location="cpu")
    if isinstance(data, dict) and isinstance(data.get("model"), dict):
        data = data["model"]
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a state dict (name -> array), got {type(data).__name__}")
    out = {}
    for k, v in data.items():
        out[k] = torch.as_tensor(v) if not isinstance(v, Tensor) else v
    return out


def load_weights(model: Detectron2RCNN, state: Dict[str, Tensor], where: str) -> None:
    """Loads Detectron2-named weights; names the missing and unexpected ones when they do not fit."""
    state = {k: v for k, v in state.items()
             if not k.endswith("num_batches_tracked") and not k.startswith("proposal_generator.anchor_generator.")
             and k not in ("pixel_mean", "pixel_std")}
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    if missing or unexpected:
        raise ValueError(f"{where} does not fit the model its config describes: {len(missing)} missing "
                         f"(e.g. {missing[:4]}), {len(unexpected)} unexpected (e.g. {unexpected[:4]})")
    wrong = [f"{k} {tuple(v.shape)} vs {tuple(own[k].shape)}" for k, v in state.items() if v.shape != own[k].shape]
    if wrong:
        raise ValueError(f"{where}: shapes differ from the config's model: {wrong[:4]}")
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()})


def architecture_string(cfg: dict) -> str:
    heads = ["box"] + (["mask"] if cfg["MODEL.MASK_ON"] else []) + (["keypoint"] if cfg["MODEL.KEYPOINT_ON"] else [])
    return (f"Detectron2 GeneralizedRCNN (converted): ResNet-{cfg['MODEL.RESNETS.DEPTH']} FrozenBN "
            f"(stride in 1x1: {bool(cfg['MODEL.RESNETS.STRIDE_IN_1X1'])}, groups {cfg['MODEL.RESNETS.NUM_GROUPS']}) "
            f"FPN {cfg['MODEL.FPN.OUT_CHANNELS']} ch p2-p6; StandardROIHeads with {'/'.join(heads)} heads, "
            f"{cfg['MODEL.ROI_HEADS.NUM_CLASSES']} classes; RPN pre/post NMS top-k "
            f"{cfg['MODEL.RPN.PRE_NMS_TOPK_TEST']}/{cfg['MODEL.RPN.POST_NMS_TOPK_TEST']}; score > "
            f"{cfg['MODEL.ROI_HEADS.SCORE_THRESH_TEST']}, NMS {cfg['MODEL.ROI_HEADS.NMS_THRESH_TEST']}, "
            f"{cfg['TEST.DETECTIONS_PER_IMAGE']} detections per image; input {cfg['INPUT.FORMAT']} 0..255")


def export_detectron2(config_path: Optional[str], weights_path: str, categories_path: str, out_dir: str,
                      overrides: Optional[dict] = None, name: Optional[str] = None, version: str = "1.0.0",
                      score_threshold: float = 0.5) -> dict:
    """Converts a Detectron2 checkpoint plus its config into a bundle (model.pt + model.json) in ``out_dir``."""
    from .export import load_categories_file
    cfg = load_config(config_path, overrides)
    model = build_model(cfg)
    load_weights(model, read_weights(weights_path), weights_path)
    cats = load_categories_file(categories_path)
    classes = cfg["MODEL.ROI_HEADS.NUM_CLASSES"]
    if [c["label"] for c in cats] != list(range(1, classes + 1)):
        raise ValueError(f"{categories_path}: {len(cats)} categories with labels "
                         f"{[c['label'] for c in cats][:5]}..., but the model has {classes} classes: the file must "
                         f"list one category per Detectron2 class, in class order (labels 1..{classes})")
    if cfg["MODEL.KEYPOINT_ON"]:
        with_kp = [c for c in cats if c.get("keypoints")]
        if not with_kp:
            raise ValueError(f"{categories_path}: the model has a keypoint head but no category names keypoints")
        for c in with_kp:
            if len(c["keypoints"]) != cfg["MODEL.ROI_KEYPOINT_HEAD.NUM_KEYPOINTS"]:
                raise ValueError(f"{categories_path}: category {c['name']} has {len(c['keypoints'])} keypoints, "
                                 f"the model {cfg['MODEL.ROI_KEYPOINT_HEAD.NUM_KEYPOINTS']}")
    else:
        cats = [{k: v for k, v in c.items() if k not in ("keypoints", "skeleton", "sigmas")} for c in cats]
    scripted = torch.jit.script(model)
    mean = [float(v) for v in cfg["MODEL.PIXEL_MEAN"]]
    std = [float(v) for v in cfg["MODEL.PIXEL_STD"]]
    return write_bundle(
        scripted, out_dir, cats, name=name or "converted-detectron2", version=version,
        architecture=architecture_string(cfg),
        training={"source": os.path.basename(weights_path), "converted_by": "sparkseg_models.export detectron2",
                  "detectron2_config": {k: cfg[k] for k in sorted(cfg)}},
        resize={"rule": "detectron2", "min_size": int(cfg["INPUT.MIN_SIZE_TEST"]),
                "max_size": int(cfg["INPUT.MAX_SIZE_TEST"]),
                "formula": "ResizeShortestEdge: scale = min_size / min(h, w) (double); the long side capped at "
                           "max_size; sides int(x + 0.5); the uint8 image resized by PIL's bilinear filter "
                           "(antialiased), then / 255"},
        normalization={"inside_model": True, "mean": mean, "std": std,
                       "model_channel_order": cfg["INPUT.FORMAT"], "model_value_range": [0.0, 255.0]},
        mask_resolution=model.mask_resolution, num_keypoints=model.num_keypoints, has_masks=model.mask_on,
        has_keypoints=model.keypoint_on, postprocess="detectron2",
        score_threshold=score_threshold, mask_threshold=0.5)


def write_bundle(scripted, out_dir: str, categories: List[dict], name: str, version: str, architecture: str,
                 training: dict, resize: dict, normalization: dict, mask_resolution: int, num_keypoints: int,
                 has_masks: bool, has_keypoints: bool, postprocess: str, score_threshold: float,
                 mask_threshold: float) -> dict:
    """Saves a scripted ``Detectron2RCNN`` as ``out_dir/model.pt`` (refused if it calls a torchvision op) and
    writes its model.json."""
    import datetime
    from .bundle_schema import check_bundle_json
    from .export import FORMAT, module_attribute_writes, save_scripted, sha256_of
    writes = module_attribute_writes(scripted)
    if writes:
        raise ValueError(f"the scripted forward writes module attributes {writes}")
    pt = save_scripted(scripted, out_dir)
    keypoint_labels = sorted(int(c["label"]) for c in categories if c.get("keypoints")) if has_keypoints else []
    meta = {
        "format": FORMAT, "name": name, "version": version, "model_file": "model.pt", "sha256": sha256_of(pt),
        "architecture": architecture,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "training": training, "categories": categories,
        "input": {
            # the caller's side of the contract: RGB in 0..1 (the model turns it into its own channel order and range)
            "layout": "NCHW", "dtype": "float32", "channel_order": "RGB", "value_range": [0.0, 1.0],
            "normalization": normalization, "resize": resize, "size_divisibility": 32,
            "inputs": ["images", "sizes"],
            "optional_inputs": {"min_score": "float tensor of one element, after flip (which must be false): "
                                             "detections scoring under it are left out before the mask and "
                                             "keypoint heads run"},
        },
        "output": {
            "names": ["boxes", "scores", "labels", "mask_probs", "keypoints", "keypoint_scores", "image_index"],
            "box_format": "xyxy", "coordinates": "resized_input", "mask_resolution": int(mask_resolution),
            "num_keypoints": int(num_keypoints), "mask_box_scale": 1.0,
            # whose semantics map the outputs into the image: Detectron2's detector_postprocess (boxes clipped, empty
            # ones dropped) and paste_masks_in_image (grid_sample in the box, >= threshold)
            "postprocess": postprocess,
            "has_masks": bool(has_masks), "has_keypoints": bool(has_keypoints), "keypoint_labels": keypoint_labels,
        },
        "thresholds": {"score": score_threshold, "mask": mask_threshold},
        "test_time": {"flip": False, "mask_box_scales": [1.0], "keypoint_box_scales": [1.0] if has_keypoints else []},
    }
    check_bundle_json(meta, os.path.join(out_dir, "model.json"))
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return meta
