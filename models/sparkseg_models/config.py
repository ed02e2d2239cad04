"""The model's configuration: every key ``build_model`` reads, with its default and meaning.

One key per line. Why each option exists and what it did to AP is in ``models/HISTORY.md``.
"""
from __future__ import annotations

from typing import Dict, Tuple

# the normalization inside the model (ImageNet's mean and std of RGB in 0..1)
IMAGE_MEAN = [0.485, 0.456, 0.406]
IMAGE_STD = [0.229, 0.224, 0.225]

DEFAULT_CONFIG = {
    # torchvision mobilenet_v3 variant of the backbone (built from scratch, no pretrained weights)
    "backbone": "mobilenet_v3_small",
    # channels of every FPN level
    "fpn_channels": 96,
    # width of the box head's two fully connected layers
    "box_repr": 256,
    # channels of each mask head conv
    "mask_channels": 96,
    # number of mask head convs
    "mask_layers": 4,
    # channels of each keypoint head conv
    "keypoint_channels": 128,
    # number of keypoint head convs (before the context layers)
    "keypoint_layers": 4,
    # classes the box predictor scores, background included
    "num_classes": 7,
    # keypoints per person (COCO's 17)
    "num_keypoints": 17,
    # shorter image side after the torchvision resize
    "min_size": 320,
    # cap on the longer image side after the resize
    "max_size": 512,
    # proposals per FPN level that enter the RPN's NMS at test time
    "rpn_pre_nms_top_n_test": 1000,
    # proposals kept after the RPN's NMS at test time
    "rpn_post_nms_top_n_test": 300,
    # detections kept per image
    "box_detections_per_img": 100,
    # the model's own score floor for detections
    "box_score_thresh": 0.05,
    # proposals kept after the RPN's NMS in training
    "rpn_post_nms_top_n_train": 600,
    # RoIs sampled per image for the box head in training
    "box_batch_size_per_image": 128,
    # add a stride-4 FPN level that only the mask and keypoint pools read (thin parts are narrower than a
    # stride-8 cell); the RPN and the box head keep the coarser levels
    "fine_level": False,
    # the stride-8 and stride-16 laterals also read the last block of their stride, not only its first
    "deep_taps": False,
    # extra 3x3 convs with dilation 2 at the end of the keypoint head (a wider view of the pooled box)
    "keypoint_context_layers": 0,
    # the mask and keypoint heads pool from, and predict in, the detection box enlarged by this factor about its
    # centre; bundles declare it as output.mask_box_scale, since the masks belong to the enlarged box
    "head_box_scale": 1.0,
    # the keypoint head's own box scale (None: head_box_scale)
    "keypoint_box_scale": None,
    # channels of a 28x28 mask refinement over the stride-4 level (0: none); needs fine_level
    "mask_refine_channels": 0,
    # the mask refinement also reads the normalized input image pooled at 28x28; needs mask_refine_channels
    "mask_image_detail": False,
    # channels of a 28x28 keypoint refinement over the stride-4 level (0: none); needs fine_level
    "keypoint_refine_channels": 0,
    # at test time the mask and keypoint heads also run on the mirrored image and their logits are averaged
    # (keypoint heat maps with left and right swapped); boxes and scores stay the original pass's
    "flip_test": False,
    # extra box scales the keypoint head also runs in at test time; heat maps averaged in the keypoint box
    "keypoint_test_box_scales": [],
    # box scales the mask head runs in at test time (empty: head_box_scale); with several, the probabilities are
    # averaged on a finer grid over the largest box, where the masks are then pasted
    "mask_test_box_scales": [],
}

# options that train --init-bundle can add to (or, for the box scales, enlarge in) a bundle's architecture
GROWABLE = ("fine_level", "deep_taps", "keypoint_context_layers", "head_box_scale", "keypoint_box_scale",
            "mask_refine_channels", "mask_image_detail", "keypoint_refine_channels")

# settings that only change inference, so an exported bundle may set them differently from its training run
TEST_TIME_KEYS = ("rpn_pre_nms_top_n_test", "rpn_post_nms_top_n_test", "box_detections_per_img", "box_score_thresh",
                  "flip_test", "keypoint_test_box_scales", "mask_test_box_scales")


def with_test_settings(cfg: dict, settings: dict | None) -> dict:
    """``cfg`` with the test-time ``settings`` applied; any other key is refused (it would change the weights'
    meaning)."""
    bad = sorted(set(settings or {}) - set(TEST_TIME_KEYS))
    if bad:
        raise ValueError(f"not test-time settings: {bad} (allowed: {list(TEST_TIME_KEYS)})")
    return {**cfg, **(settings or {})}


def growable_values(cfg: dict) -> Dict[str, float]:
    """The GROWABLE options of a config as comparable numbers (defaults filled, keypoint_box_scale resolved)."""
    c = dict(DEFAULT_CONFIG, **cfg)
    c["keypoint_box_scale"] = head_box_scales(c)[1]
    return {k: float(c[k]) for k in GROWABLE}


def head_box_scales(cfg: dict) -> Tuple[float, float]:
    """(mask head's, keypoint head's) box scale of a model config."""
    mask_scale = float(cfg.get("head_box_scale", 1.0))
    kp = cfg.get("keypoint_box_scale")
    return mask_scale, (mask_scale if kp is None else float(kp))
