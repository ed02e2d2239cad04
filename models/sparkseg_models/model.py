"""Small Mask R-CNN with a keypoint branch in the same RoIHeads (one forward: boxes, masks, keypoints).

``build_model`` assembles it from the modules beside this one: ``config`` (the keys and defaults), ``backbone``
(feature levels), ``heads`` (RoI heads in enlarged boxes, keypoint branch), ``refinement`` (28x28 mask/keypoint
refinements), ``tta`` (flip and test-time box scales), ``stateless`` (thread-safe torchvision parts) and
``surgery`` (growing a trained model's weights).
"""
from __future__ import annotations

from functools import partial

from torch import nn
from torchvision.models import mobilenetv3
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import _mobilenet_extractor
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.ops import MultiScaleRoIAlign
from torchvision.ops.feature_pyramid_network import FeaturePyramidNetwork, LastLevelMaxPool

from .backbone import IMAGE_CHANNELS, IMAGE_KEY, CoarseLevelRPN, ImageTapBackbone, TappedBody, deep_taps
from .coco import KEYPOINT_NAMES, mirror_index
from .config import DEFAULT_CONFIG, IMAGE_MEAN, IMAGE_STD, head_box_scales
from .heads import add_keypoint_branch, use_head_box_scale
from .refinement import (FINE_DETAIL_CHANNELS, FineDetailPool, PassThroughMaskHeads, RefiningMaskPredictor)
from .stateless import make_stateless
from .tta import FlipTestMaskRCNN, TestTimeRoIHeads, use_test_time_heads


def build_model(cfg: dict | None = None, train_min_sizes=None) -> MaskRCNN:
    c = dict(DEFAULT_CONFIG)
    c.update(cfg or {})
    norm = partial(nn.BatchNorm2d, eps=1e-3, momentum=0.05)
    net = mobilenetv3.__dict__[c["backbone"]](weights=None, norm_layer=norm)
    # stage indices of mobilenet_v3 features: [0, C1(s4), C2(s8), C3(s16), C4(s32), last]; take s8, s16, s32
    # (and s4 with the fine level)
    nstages = 2 + sum(1 for b in net.features if getattr(b, "_is_cn", False))
    fine = bool(c["fine_level"])
    levels = ([nstages - 5] if fine else []) + [nstages - 4, nstages - 3, nstages - 1]
    backbone = _mobilenet_extractor(net, True, trainable_layers=nstages, returned_layers=levels)
    if c["deep_taps"]:
        backbone.body = TappedBody(backbone.body, deep_taps(backbone.body))
    # _mobilenet_extractor fixes 256 FPN channels; rebuild the FPN narrower
    in_list = ([sum(int(backbone.body[n].out_channels) for n in names) for names in backbone.body.taps.values()]
               if c["deep_taps"] else
               [m.in_channels for m in backbone.fpn.inner_blocks.modules() if isinstance(m, nn.Conv2d)])
    backbone.fpn = FeaturePyramidNetwork(in_list, c["fpn_channels"], extra_blocks=LastLevelMaxPool())
    backbone.out_channels = c["fpn_channels"]
    ch = c["fpn_channels"]

    anchor_gen = AnchorGenerator(sizes=((16, 24), (32, 48), (64, 96), (128, 256)),
                                 aspect_ratios=((0.5, 1.0, 2.0),) * 4)
    # FPN output keys are "0".. in stride order (+ "pool"); with the fine level, "0" is stride 4
    feats = ["1", "2", "3"] if fine else ["0", "1", "2"]
    fine_feats = ["0"] + feats if fine else feats
    box_pool = MultiScaleRoIAlign(feats, 7, 2)
    # the heads pool enlarged boxes (head_box_scale); scaling the canonical box size alike keeps each box on
    # the FPN level its detection box would use, rather than moving the margin onto a coarser level
    mask_scale, kp_scale = head_box_scales(c)
    # torchvision types canonical_scale int
    mask_pool = MultiScaleRoIAlign(fine_feats, 14, 2, canonical_scale=int(round(224 * mask_scale)))
    kp_pool = MultiScaleRoIAlign(fine_feats, 14, 2, canonical_scale=int(round(224 * kp_scale)))
    box_head = TwoMLPHead(ch * 49, c["box_repr"])
    refine = int(c["mask_refine_channels"])
    if refine and not fine:
        raise ValueError("mask_refine_channels needs fine_level (the refinement reads the stride-4 level)")
    image_detail = bool(c["mask_image_detail"])
    if image_detail and not refine:
        raise ValueError("mask_image_detail needs mask_refine_channels (the refinement reads the image)")
    kp_refine = int(c["keypoint_refine_channels"])
    if kp_refine and not fine:
        raise ValueError("keypoint_refine_channels needs fine_level (the refinement reads the stride-4 level)")
    detail = FINE_DETAIL_CHANNELS + (IMAGE_CHANNELS if image_detail else 0)
    if refine:
        mask_head = PassThroughMaskHeads(ch, [c["mask_channels"]] * c["mask_layers"], 1)
        mask_pred = RefiningMaskPredictor(c["mask_channels"], c["mask_channels"], c["num_classes"], detail, refine)
    else:
        mask_head = MaskRCNNHeads(ch, [c["mask_channels"]] * c["mask_layers"], 1)
        mask_pred = MaskRCNNPredictor(c["mask_channels"], c["mask_channels"], c["num_classes"])
    min_size = train_min_sizes if train_min_sizes is not None else c["min_size"]
    model = MaskRCNN(
        backbone, num_classes=None, min_size=min_size, max_size=c["max_size"],
        image_mean=IMAGE_MEAN, image_std=IMAGE_STD,
        rpn_anchor_generator=anchor_gen, rpn_pre_nms_top_n_test=c["rpn_pre_nms_top_n_test"],
        rpn_post_nms_top_n_test=c["rpn_post_nms_top_n_test"],
        rpn_pre_nms_top_n_train=1000, rpn_post_nms_top_n_train=c["rpn_post_nms_top_n_train"],
        rpn_batch_size_per_image=256,
        box_roi_pool=box_pool, box_head=box_head, box_predictor=FastRCNNPredictor(c["box_repr"], c["num_classes"]),
        box_detections_per_img=c["box_detections_per_img"], box_score_thresh=c["box_score_thresh"],
        box_batch_size_per_image=c["box_batch_size_per_image"], mask_roi_pool=mask_pool, mask_head=mask_head, mask_predictor=mask_pred,
    )
    add_keypoint_branch(model, kp_pool, ch, c["keypoint_channels"], c["keypoint_layers"], c["num_keypoints"],
                        c["keypoint_context_layers"], kp_refine, detail)

    def detail_pool(coarse: MultiScaleRoIAlign) -> FineDetailPool:
        return FineDetailPool(coarse, MultiScaleRoIAlign(["0"], 28, 2), ch, FINE_DETAIL_CHANNELS,
                              MultiScaleRoIAlign([IMAGE_KEY], 28, 2) if image_detail else None)

    # MaskRCNN type-checks its pools, so the packed pools go in afterwards
    if refine:
        model.roi_heads.mask_roi_pool = detail_pool(mask_pool)
    if kp_refine:
        model.roi_heads.keypoint_roi_pool = detail_pool(kp_pool)
    if image_detail:
        # the backbone hands the RoI heads the (normalized, padded) image next to the FPN levels
        model.backbone.__class__ = ImageTapBackbone
    if fine:
        # MaskRCNN builds its own RPN; give that instance the coarse-levels forward (same modules, same keys)
        model.rpn.__class__ = CoarseLevelRPN
    test_scales = [float(x) for x in c["keypoint_test_box_scales"]]
    # largest first: the masks are averaged over, and pasted into, the largest box
    mask_test_scales = sorted((float(x) for x in c["mask_test_box_scales"]), reverse=True)
    for key, values in (("keypoint_test_box_scales", test_scales), ("mask_test_box_scales", mask_test_scales)):
        if any(not x > 0 for x in values):
            raise ValueError(f"{key} must be positive, got {c[key]}")
    if mask_scale != 1.0 or kp_scale != 1.0 or test_scales or mask_test_scales:
        use_head_box_scale(model, mask_scale, kp_scale)
        model.roi_heads.keypoint_test_box_scales = test_scales
        if mask_test_scales:
            model.roi_heads.mask_test_box_scales = mask_test_scales
            model.transform.mask_box_scale = mask_test_scales[0]
    if c["flip_test"]:
        if c["num_keypoints"] != len(KEYPOINT_NAMES):
            raise ValueError(f"flip_test needs the {len(KEYPOINT_NAMES)} COCO keypoints to mirror them, "
                             f"not {c['num_keypoints']}")
        model.__class__ = FlipTestMaskRCNN
        model.keypoint_mirror = mirror_index(KEYPOINT_NAMES)
        if not isinstance(model.roi_heads, TestTimeRoIHeads):
            use_test_time_heads(model.roi_heads)
    make_stateless(model)
    model.sparkseg_config = c
    return model


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.state_dict().values() if p.is_floating_point())
