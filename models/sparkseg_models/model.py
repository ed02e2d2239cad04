"""Small Mask R-CNN with a keypoint branch in the same RoIHeads (one forward: boxes, masks, keypoints)."""
from __future__ import annotations

from functools import partial
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torchvision.models import mobilenetv3
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import BackboneWithFPN, _mobilenet_extractor
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.keypoint_rcnn import KeypointRCNNHeads, KeypointRCNNPredictor
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.models.detection.roi_heads import (RoIHeads, fastrcnn_loss, keypointrcnn_inference,
                                                    keypointrcnn_loss, maskrcnn_inference, maskrcnn_loss,
                                                    paste_masks_in_image)
from torchvision.models.detection.rpn import RegionProposalNetwork, concat_box_prediction_layers
from torchvision.models.detection.transform import GeneralizedRCNNTransform
from torchvision.ops import MultiScaleRoIAlign
from torchvision.ops.poolers import _filter_input, _multiscale_roi_align, _setup_scales
from torchvision.ops.feature_pyramid_network import FeaturePyramidNetwork, LastLevelMaxPool

from .coco import KEYPOINT_NAMES, mirror_index

IMAGE_MEAN = [0.485, 0.456, 0.406]
IMAGE_STD = [0.229, 0.224, 0.225]

DEFAULT_CONFIG = {
    "backbone": "mobilenet_v3_small",
    "fpn_channels": 96,
    "box_repr": 256,
    "mask_channels": 96,
    "mask_layers": 4,
    "keypoint_channels": 128,
    "keypoint_layers": 4,
    "num_classes": 7,          # background + 6
    "num_keypoints": 17,
    "min_size": 320,
    "max_size": 512,
    # proposals per FPN level that go into the RPN's NMS at test time (torchvision's default, 1000, in older
    # bundles): cutting it to 300 left AP unchanged on 1.10.0 and the NMS works on 300x300 IoU matrices per
    # level instead of 1000x1000
    "rpn_pre_nms_top_n_test": 1000,
    "rpn_post_nms_top_n_test": 300,
    "box_detections_per_img": 100,
    "box_score_thresh": 0.05,
    "rpn_post_nms_top_n_train": 600,
    "box_batch_size_per_image": 128,
    # a stride-4 FPN level ("fine") that only the mask and keypoint RoI pools read: thin parts (chair legs,
    # bicycle frames, limbs) are narrower than one cell of the stride-8 level. The RPN and the box head keep
    # the coarser levels, so their cost and behaviour do not change.
    "fine_level": False,
    # torchvision's mobilenet extractor taps the *first* block of each stride; the blocks after it only feed
    # the next stride. With deep taps the stride-8 and stride-16 laterals also read the last block of their
    # stride (concatenated), so those levels see deeper features at no backbone cost.
    "deep_taps": False,
    # extra 3x3 convs with dilation 2 at the end of the keypoint head: four plain convs see 9 of the 14 pooled
    # cells, too few to tell which arm a wrist belongs to
    "keypoint_context_layers": 0,
    # the mask and keypoint heads pool from, and predict in, the detection box enlarged by this factor about its
    # centre: the box regressor often stops short of a raised arm or a chair leg, and a head can only segment or
    # locate what lies inside its box. Bundles declare it as output.mask_box_scale (the box masks are pasted in).
    "head_box_scale": 1.0,
    # the keypoint head's own box scale (None: head_box_scale). Keypoints need a wider margin than masks (a
    # raised wrist lies further out than a chair leg) and lose less to it: their 56x56 heat map is finer.
    "keypoint_box_scale": None,
    # channels of a mask refinement stage at 28x28 (0: none). The 14x14 pool of the mask head is coarser than a
    # chair leg or a forearm; the refinement reads the stride-4 level pooled at 28x28 in the same box, next to
    # the upsampled head output, and adds its logits to the head's. Needs fine_level.
    "mask_refine_channels": 0,
    # the mask refinement also reads the input image itself (normalized RGB) pooled at 28x28 in the mask box: the
    # stride-4 level is one backbone block deep and blurs the edges a 28x28 mask has to place. Needs
    # mask_refine_channels.
    "mask_image_detail": False,
    # channels of a keypoint refinement stage at 28x28 (0: none), built like the mask refinement: the keypoint
    # head's 14x14 pool gives a forearm about one cell of width in a person box, and on 1.10.0 most visible
    # wrists it misses lie inside its box with a weak heat-map peak. The refinement reads the stride-4 level
    # (and the image, with mask_image_detail) pooled at 28x28 next to the upsampled head features, and adds
    # its logits to the head's 28x28 heat map before the final upsampling. Needs fine_level. (One 106-minute
    # sitting from 1.10.0 with it gave no AP gain: not in the embedded bundle; models/README.md.)
    "keypoint_refine_channels": 0,
    # flip test-time augmentation: the mask and keypoint heads also run on the mirrored image (a second backbone
    # pass), in the mirrored boxes, and their logits are averaged with the mirrored-back ones (keypoint heat maps
    # with left and right swapped). Boxes and scores stay the original pass's. Costs about 1.7x the inference
    # time; on 1.11.0's weights it was worth +0.009 segm and +0.022 keypoint AP (models/README.md).
    "flip_test": False,
    # extra box scales for the keypoint head at test time: it also runs in the detection box enlarged by each of
    # them, and its heat maps, resampled into the keypoint box (keypoint_box_scale), are averaged with the
    # keypoint box's (with the flip too, each scale runs both ways). No weights: a second look at the person in a
    # tighter frame, which the head saw in training (positive proposals vary in size around their person). On
    # 1.12.1's weights [1.2] added about +0.009 keypoint AP on two validation sets (models/README.md). The mask
    # head has its own setting (mask_test_box_scales): averaged this way, on its own 28x28 grid, it lost AP.
    "keypoint_test_box_scales": [],
    # the box scales the mask head runs in at test time (empty: head_box_scale, as in training). One scale: the
    # masks are that box's 28x28 maps (on 1.12.1's weights trained at 1.2, [1.1] gave +0.011 segm AP: more cells
    # on the object). Several: each runs (both ways with the flip), and their probabilities are averaged on a 3x
    # finer grid (84x84) over the largest box, where the masks are then pasted: a tighter box gives the head more
    # cells on the object, a wider one keeps what sticks out. The finer grid keeps the resampling from blurring
    # thin parts (on the 28x28 grid it lost AP, on 56x56 it gained less; models/README.md).
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
    make_stateless(model)
    model.sparkseg_config = c
    return model


def scale_boxes(boxes: Tensor, scale: float) -> Tensor:
    """xyxy ``boxes`` enlarged by ``scale`` about their centres (returned as they are at 1.0)."""
    if scale == 1.0:
        return boxes
    centre = (boxes[:, :2] + boxes[:, 2:]) * 0.5
    half = (boxes[:, 2:] - boxes[:, :2]) * (0.5 * scale)
    return torch.cat([centre - half, centre + half], dim=1)


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


def use_head_box_scale(model: MaskRCNN, scale: float, keypoint_scale: Optional[float] = None) -> MaskRCNN:
    """Makes ``model``'s mask head (and keypoint head, at ``keypoint_scale`` if given) work in boxes enlarged by
    ``scale`` (same modules and weights)."""
    model.roi_heads.__class__ = MarginRoIHeads
    model.roi_heads.head_box_scale = scale
    model.roi_heads.keypoint_box_scale = scale if keypoint_scale is None else keypoint_scale
    model.roi_heads.keypoint_test_box_scales = []
    model.roi_heads.mask_test_box_scales = [scale]
    model.transform.__class__ = MarginTransform
    model.transform.mask_box_scale = scale
    return model


class MarginRoIHeads(RoIHeads):
    """torchvision's ``RoIHeads`` whose mask head sees the box enlarged by ``head_box_scale`` and whose keypoint
    head sees it enlarged by ``keypoint_box_scale``.

    The box branch is unchanged. In training, the heads pool the positive proposals enlarged, and their targets
    (GT masks resampled into the box, keypoint heat maps) are made in the same enlarged boxes, so keypoints just
    outside a proposal are targets instead of being dropped. At inference the keypoints are decoded in the
    enlarged box; the masks are too, so they must be pasted into it (``MarginTransform``, and the bundle's
    ``mask_box_scale`` for the Java side).
    """

    head_box_scale = 1.0
    keypoint_box_scale = 1.0
    # the test-time box scales (configs keypoint_test_box_scales, mask_test_box_scales); real types, not strings
    # (this module uses postponed annotations), for TorchScript to type an empty list
    __annotations__ = {**RoIHeads.__annotations__, "keypoint_test_box_scales": List[float],
                       "mask_test_box_scales": List[float]}
    keypoint_test_box_scales = []
    mask_test_box_scales = [1.0]  # test-time mask box scales, largest first (config mask_test_box_scales)

    def forward(self, features: Dict[str, Tensor], proposals: List[Tensor], image_shapes: List[Tuple[int, int]],
                targets: Optional[List[Dict[str, Tensor]]] = None) -> Tuple[List[Dict[str, Tensor]], Dict[str, Tensor]]:
        s = self.head_box_scale
        ks = self.keypoint_box_scale
        result: List[Dict[str, Tensor]] = []
        losses: Dict[str, Tensor] = {}
        if self.training:
            if targets is None:
                raise ValueError("RoIHeads needs targets in training mode")
            proposals, matched_idxs, labels, regression_targets = self.select_training_samples(proposals, targets)
            class_logits, box_regression = self.box_predictor(
                self.box_head(self.box_roi_pool(features, proposals, image_shapes)))
            loss_classifier, loss_box_reg = fastrcnn_loss(class_logits, box_regression, labels, regression_targets)
            losses = {"loss_classifier": loss_classifier, "loss_box_reg": loss_box_reg}
            # the mask and keypoint heads learn on the positive proposals only
            head_boxes: List[Tensor] = []
            kp_boxes: List[Tensor] = []
            matched: List[Tensor] = []
            kp_matched: List[Tensor] = []
            for props, labs, idxs, t in zip(proposals, labels, matched_idxs, targets):
                pos = torch.where(labs > 0)[0]
                head_boxes.append(scale_boxes(props[pos], s))
                matched.append(idxs[pos])
                if "keypoints" in t:
                    # the keypoint loss ignores GT without labelled keypoints (every non-person): the head
                    # need not run on their proposals (same loss, a fraction of the keypoint branch's cost)
                    pos = pos[(t["keypoints"][:, :, 2] > 0).any(1)[idxs[pos]]]
                kp_boxes.append(scale_boxes(props[pos], ks))
                kp_matched.append(idxs[pos])
            if self.mask_roi_pool is not None and self.mask_head is not None and self.mask_predictor is not None:
                mask_logits = self.mask_predictor(
                    self.mask_head(self.mask_roi_pool(features, head_boxes, image_shapes)))
                losses["loss_mask"] = maskrcnn_loss(mask_logits, head_boxes, [t["masks"] for t in targets],
                                                    [t["labels"] for t in targets], matched)
            if self.keypoint_roi_pool is not None and self.keypoint_head is not None \
                    and self.keypoint_predictor is not None:
                kp_logits = self.keypoint_predictor(
                    self.keypoint_head(self.keypoint_roi_pool(features, kp_boxes, image_shapes)))
                losses["loss_keypoint"] = keypointrcnn_loss(kp_logits, kp_boxes, [t["keypoints"] for t in targets],
                                                            kp_matched)
            return result, losses
        class_logits, box_regression = self.box_predictor(self.box_head(self.box_roi_pool(features, proposals,
                                                                                          image_shapes)))
        boxes, scores, labels = self.postprocess_detections(class_logits, box_regression, proposals, image_shapes)
        for i in range(len(boxes)):
            result.append({"boxes": boxes[i], "labels": labels[i], "scores": scores[i]})
        if self.mask_roi_pool is not None and self.mask_head is not None and self.mask_predictor is not None:
            mask_scales = list(self.mask_test_box_scales)
            logits = [self.mask_predictor(self.mask_head(self.mask_roi_pool(
                features, [scale_boxes(b, k) for b in boxes], image_shapes))) for k in mask_scales]
            for probs, r in zip(mask_probs_at_scales(logits, mask_scales, labels), result):
                r["masks"] = probs
        if self.keypoint_roi_pool is not None and self.keypoint_head is not None \
                and self.keypoint_predictor is not None:
            kp_boxes = [scale_boxes(b, ks) for b in boxes]
            scales = [ks] + list(self.keypoint_test_box_scales)
            maps = [self.keypoint_predictor(self.keypoint_head(self.keypoint_roi_pool(
                features, [scale_boxes(b, k) for b in boxes], image_shapes))) for k in scales]
            kp_xy, kp_scores = keypointrcnn_inference(average_box_scales(maps, scales), kp_boxes)
            for xy, sc, r in zip(kp_xy, kp_scores, result):
                r["keypoints"] = xy
                r["keypoints_scores"] = sc
        return result, losses


def maps_to_box_scale(maps: Tensor, from_scale: float, to_scale: float, size: int = 0) -> Tuple[Tensor, Tensor]:
    """Maps (keypoint heat maps, mask probabilities) ``[N, C, H, W]`` made over boxes enlarged ``from_scale``x about
    their centres, resampled bilinearly onto the same boxes enlarged ``to_scale``x, on a ``size`` x ``size`` grid
    (0: H x W); and a 0/1 map of the target cells whose centre lies inside the source box (outside it the source
    says nothing: its border values are repeated)."""
    n, c, h, w = maps.shape
    if size > 0:
        h = size
        w = size
    if n == 0:
        return maps.new_zeros((0, c, h, w)), torch.ones((h, w), dtype=maps.dtype, device=maps.device)
    # cell centres of the target grid in the source box's normalized coordinates (grid_sample, align_corners=False)
    ratio = to_scale / from_scale
    xs = ((torch.arange(w, dtype=maps.dtype, device=maps.device) + 0.5) * (2.0 / w) - 1.0) * ratio
    ys = ((torch.arange(h, dtype=maps.dtype, device=maps.device) + 0.5) * (2.0 / h) - 1.0) * ratio
    grid = torch.stack([xs[None, :].expand(h, w), ys[:, None].expand(h, w)], -1)
    out = F.grid_sample(maps, grid[None].expand(n, h, w, 2), mode="bilinear", padding_mode="border",
                        align_corners=False)
    inside = ((xs.abs() <= 1.0)[None, :] & (ys.abs() <= 1.0)[:, None]).to(maps.dtype)
    return out, inside


def average_box_scales(maps: List[Tensor], scales: List[float], size: int = 0) -> Tensor:
    """The mean of maps made over the same boxes enlarged by different ``scales``, in the frame of the first scale,
    on a ``size`` x ``size`` grid (0: the first map's own); where a tighter box does not reach, the maps that do are
    averaged."""
    first = maps[0]
    if size == 0 or (first.shape[-2] == size and first.shape[-1] == size):
        if len(maps) == 1:
            return first
        total = first   # not resampled onto its own grid: that would move its values by float rounding
        count = torch.ones(first.shape[-2:], dtype=first.dtype, device=first.device)
    else:
        total, count = maps_to_box_scale(first, scales[0], scales[0], size)
    for i in range(1, len(maps)):
        resampled, inside = maps_to_box_scale(maps[i], scales[i], scales[0], total.shape[-1])
        total = total + resampled * inside
        count = count + inside
    return total / count


# with several mask box scales, their probabilities are averaged on a grid this many times finer than the head's
MASK_TEST_UPSAMPLING = 3


def mask_probs_at_scales(logits: List[Tensor], scales: List[float], labels: List[Tensor],
                         upsampling: int = MASK_TEST_UPSAMPLING) -> List[Tensor]:
    """Per image, the mask probabilities of each detection's class, from the mask logits made in boxes enlarged by
    each of ``scales`` (largest first). One scale: torchvision's ``maskrcnn_inference``. Several: the probabilities
    averaged over the largest box on an ``upsampling``x finer grid (``average_box_scales``)."""
    if len(logits) == 1:
        return maskrcnn_inference(logits[0], labels)
    chosen = torch.cat(labels)
    rows = torch.arange(chosen.shape[0], device=chosen.device)
    probs = [x[rows, chosen][:, None].sigmoid() for x in logits]
    size = int(logits[0].shape[-1]) * upsampling
    averaged = average_box_scales(probs, scales, size)
    return averaged.split([int(x.shape[0]) for x in labels])


def mirror_boxes(boxes: Tensor, width: int) -> Tensor:
    """``boxes`` (x1, y1, x2, y2) in an image ``width`` wide, mirrored left-right with the image: x -> width - x.
    Measured, not assumed: on 1.11.0 the heads' logits on the mirrored image agree best with the original ones at
    this offset (width - 1 - x and width + 1 - x agree less, and width - 1 - x scored lower AP; models/README.md)."""
    return torch.stack([width - boxes[:, 2], boxes[:, 1], width - boxes[:, 0], boxes[:, 3]], 1)


class FlipTestMaskRCNN(MaskRCNN):
    """torchvision's ``MaskRCNN`` with flip test-time augmentation for the mask and keypoint heads (config
    ``flip_test``): at inference they also run on the mirrored image in the mirrored boxes, and their logits are
    averaged with the mirrored-back ones (keypoint heat maps with left and right keypoints swapped,
    ``keypoint_mirror``). Boxes, labels and scores come from the original pass alone. Training is MaskRCNN's.
    The exported ``BundleModule`` does the same (``flip_test``)."""

    keypoint_mirror: List[int] = []

    def forward(self, images, targets=None):
        if self.training:
            return super().forward(images, targets)
        original_sizes = [(int(img.shape[-2]), int(img.shape[-1])) for img in images]
        il, _ = self.transform(images)
        sizes = il.image_sizes
        features = self.backbone(il.tensors)
        proposals, _ = self.rpn(il, features)
        mirrored = self.backbone(il.tensors.flip(-1))
        width = il.tensors.shape[-1]
        rh = self.roi_heads
        class_logits, box_regression = rh.box_predictor(rh.box_head(rh.box_roi_pool(features, proposals, sizes)))
        boxes, scores, labels = rh.postprocess_detections(class_logits, box_regression, proposals, sizes)
        result = [{"boxes": b, "labels": lab, "scores": sc} for b, lab, sc in zip(boxes, labels, scores)]

        def both_ways(pool, head, predictor, head_boxes):
            logits = predictor(head(pool(features, head_boxes, sizes)))
            back = predictor(head(pool(mirrored, [mirror_boxes(b, width) for b in head_boxes], sizes))).flip(-1)
            return logits, back

        if rh.has_mask():
            mask_scales = list(getattr(rh, "mask_test_box_scales", [1.0]))
            logits = []
            for scale in mask_scales:
                m, back = both_ways(rh.mask_roi_pool, rh.mask_head, rh.mask_predictor,
                                    [scale_boxes(b, scale) for b in boxes])
                logits.append((m + back) * 0.5)
            for probs, r in zip(mask_probs_at_scales(logits, mask_scales, labels), result):
                r["masks"] = probs
        if rh.has_keypoint():
            scales = [getattr(rh, "keypoint_box_scale", 1.0)] + list(getattr(rh, "keypoint_test_box_scales", []))
            maps = []
            for scale in scales:
                k, back = both_ways(rh.keypoint_roi_pool, rh.keypoint_head, rh.keypoint_predictor,
                                    [scale_boxes(b, scale) for b in boxes])
                maps.append((k + back[:, self.keypoint_mirror]) * 0.5)
            kp_boxes = [scale_boxes(b, scales[0]) for b in boxes]
            xy, kp_scores = keypointrcnn_inference(average_box_scales(maps, scales), kp_boxes)
            for r, p, sc in zip(result, xy, kp_scores):
                r["keypoints"] = p
                r["keypoints_scores"] = sc
        return self.transform.postprocess(result, sizes, original_sizes)


class MarginTransform(GeneralizedRCNNTransform):
    """torchvision's transform, pasting masks into their boxes enlarged by ``mask_box_scale`` (see
    ``MarginRoIHeads``); everything else as torchvision does it."""

    mask_box_scale = 1.0

    def postprocess(self, result: List[Dict[str, Tensor]], image_shapes: List[Tuple[int, int]],
                    original_image_sizes: List[Tuple[int, int]]) -> List[Dict[str, Tensor]]:
        if self.training:
            return result
        small: List[Optional[Tensor]] = [r.pop("masks") if "masks" in r else None for r in result]
        result = super().postprocess(result, image_shapes, original_image_sizes)
        for r, m, size in zip(result, small, original_image_sizes):
            if m is not None:
                r["masks"] = paste_masks_in_image(m, scale_boxes(r["boxes"], self.mask_box_scale), size)
        return result


# channels the refinement's 1x1 projection keeps of the stride-4 level
FINE_DETAIL_CHANNELS = 32
# the features key under which ImageTapBackbone passes the input image on, and its channels
IMAGE_KEY = "image"
IMAGE_CHANNELS = 3


class ImageTapBackbone(BackboneWithFPN):
    """torchvision's ``BackboneWithFPN`` (same modules and keys) whose output also holds the input image under
    ``IMAGE_KEY``, for the mask refinement's pool. The RPN and the other pools read named FPN levels only."""

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        out = self.fpn(self.body(x))
        out["image"] = x  # IMAGE_KEY (TorchScript reads no str globals)
        return out


def space_to_depth(x: Tensor) -> Tensor:
    """[N, C, 2H, 2W] -> [N, 4C, H, W]; ``depth_to_space`` undoes it. (``F.pixel_unshuffle`` returns an empty
    batch unchanged, 28x28, in torch 1.13 and libtorch 2.7: an image without detections would fail.)"""
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(n, c * 4, h // 2, w // 2)


def depth_to_space(x: Tensor) -> Tensor:
    """[N, 4C, H, W] -> [N, C, 2H, 2W], the inverse of ``space_to_depth``."""
    n, c4, h, w = x.shape
    return x.reshape(n, c4 // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3).reshape(n, c4 // 4, h * 2, w * 2)


class FineDetailPool(nn.Module):
    """The mask head's pool plus the stride-4 level (and optionally the image) pooled at 28x28 in the same boxes,
    packed into one tensor.

    torchvision's RoIHeads (and the exported module) call pool -> head -> predictor with one tensor between
    them, so the 28x28 detail rides along space-to-depth: [N, C + 4D, 14, 14] with D detail channels (the
    projected level, then the image's). The projection runs on the level before pooling (cheaper than per box
    when boxes are many).
    """

    def __init__(self, coarse: MultiScaleRoIAlign, fine: MultiScaleRoIAlign, in_channels: int, detail: int,
                 image: Optional[MultiScaleRoIAlign] = None):
        super().__init__()
        self.coarse = coarse
        self.fine = fine
        self.project = nn.Conv2d(in_channels, detail, 1)
        self.image = image

    def forward(self, x: Dict[str, Tensor], boxes: List[Tensor], image_shapes: List[Tuple[int, int]]) -> Tensor:
        detail = self.fine({"0": self.project(x["0"])}, boxes, image_shapes)
        if self.image is not None:
            detail = torch.cat([detail, self.image(x, boxes, image_shapes)], 1)
        return torch.cat([self.coarse(x, boxes, image_shapes), space_to_depth(detail)], 1)


class DetailPassThrough:
    """The forward of a head whose input packs detail channels after its ``pooled_channels``: the head's convs
    (a torchvision ``nn.Sequential``, same keys) run on the pooled channels and the detail passes through."""

    def forward(self, x: Tensor) -> Tensor:
        y = x[:, :self.pooled_channels]
        for layer in self:
            y = layer(y)
        return torch.cat([y, x[:, self.pooled_channels:]], 1)


class PassThroughMaskHeads(DetailPassThrough, MaskRCNNHeads):
    """torchvision's mask head convs on the pooled channels, passing the packed detail through."""

    def __init__(self, in_channels: int, layers: List[int], dilation: int):
        super().__init__(in_channels, layers, dilation)
        self.pooled_channels = in_channels


class PassThroughKeypointHeads(DetailPassThrough, KeypointRCNNHeads):
    """torchvision's keypoint head convs (context layers appended as usual) on the pooled channels, passing the
    packed detail through."""

    def __init__(self, in_channels: int, layers: List[int]):
        super().__init__(in_channels, layers)
        self.pooled_channels = in_channels


class Refinement:
    """The 28x28 refinement that both refining predictors add: two 3x3 convs over a predictor's 28x28 features
    next to the packed detail, and 1x1 logits that start at zero (a grown model predicts what it did before)."""

    def add_refinement(self, in_channels: int, channels: int, out_channels: int) -> None:
        self.refine1 = nn.Conv2d(in_channels, channels, 3, padding=1)
        self.refine2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.refine_logits = nn.Conv2d(channels, out_channels, 1)
        for m in (self.refine1, self.refine2):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.constant_(m.bias, 0)
        nn.init.zeros_(self.refine_logits.weight)
        nn.init.zeros_(self.refine_logits.bias)

    def refinement_logits(self, features: Tensor, packed_detail: Tensor) -> Tensor:
        r = F.relu(self.refine1(torch.cat([features, depth_to_space(packed_detail)], 1)))
        return self.refine_logits(F.relu(self.refine2(r)))


class RefiningMaskPredictor(Refinement, nn.Module):
    """torchvision's ``MaskRCNNPredictor`` (same keys) plus a 28x28 refinement whose logits add to its own.

    The refinement sees the upsampled head features next to the stride-4 detail. Its last conv starts at zero,
    so a model grown with it predicts exactly what it did before and training only has to add the detail.
    """

    def __init__(self, in_channels: int, dim_reduced: int, num_classes: int, detail: int, channels: int):
        super().__init__()
        self.conv5_mask = nn.ConvTranspose2d(in_channels, dim_reduced, 2, 2, 0)
        self.relu5 = nn.ReLU(inplace=True)
        self.mask_fcn_logits = nn.Conv2d(dim_reduced, num_classes, 1, 1, 0)
        for m in (self.conv5_mask, self.mask_fcn_logits):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.constant_(m.bias, 0)
        self.add_refinement(dim_reduced + detail, channels, num_classes)
        self.in_channels = in_channels

    def forward(self, x: Tensor) -> Tensor:
        up = self.relu5(self.conv5_mask(x[:, :self.in_channels]))
        return self.mask_fcn_logits(up) + self.refinement_logits(up, x[:, self.in_channels:])


class RefiningKeypointPredictor(Refinement, KeypointRCNNPredictor):
    """torchvision's ``KeypointRCNNPredictor`` (same keys) plus a 28x28 refinement whose logits add to its 28x28
    heat map before the final 2x upsampling.

    The refinement sees the head features upsampled to 28x28 next to the stride-4 detail. Its last conv starts
    at zero, so a model grown with it predicts exactly what it did before.
    """

    def __init__(self, in_channels: int, num_keypoints: int, detail: int, channels: int):
        super().__init__(in_channels, num_keypoints)
        self.add_refinement(in_channels + detail, channels, num_keypoints)
        self.in_channels = in_channels

    def forward(self, x: Tensor) -> Tensor:
        features = x[:, :self.in_channels]
        heat = self.kps_score_lowres(features)
        up = F.interpolate(features, scale_factor=2.0, mode="bilinear", align_corners=False,
                           recompute_scale_factor=False)
        heat = heat + self.refinement_logits(up, x[:, self.in_channels:])
        return F.interpolate(heat, scale_factor=float(self.up_scale), mode="bilinear", align_corners=False,
                             recompute_scale_factor=False)


class StatelessAnchorGenerator(AnchorGenerator):
    """torchvision's ``AnchorGenerator`` with a forward that writes no module state.

    torchvision's forward re-assigns ``self.cell_anchors`` (cast to the features' dtype and device) on every
    call. In a scripted module that several inference threads share, that write to a shared attribute slot
    races with the other threads' reads of it: a use-after-free inside libtorch. Here the cast copy stays
    local. Same anchors, same (empty) state_dict.
    """

    def forward(self, image_list: ImageList, feature_maps: List[Tensor]) -> List[Tensor]:
        image_h, image_w = image_list.tensors.shape[-2], image_list.tensors.shape[-1]
        dtype, device = feature_maps[0].dtype, feature_maps[0].device
        levels: List[Tensor] = []
        for fmap, base in zip(feature_maps, self.cell_anchors):
            grid_h, grid_w = fmap.shape[-2], fmap.shape[-1]
            # integer strides and shifts, as torchvision computes them, so the anchors are bit-identical
            stride_h = torch.tensor(image_h // grid_h, dtype=torch.int64, device=device)
            stride_w = torch.tensor(image_w // grid_w, dtype=torch.int64, device=device)
            ys = torch.arange(0, grid_h, dtype=torch.int32, device=device) * stride_h
            xs = torch.arange(0, grid_w, dtype=torch.int32, device=device) * stride_w
            sy, sx = torch.meshgrid(ys, xs, indexing="ij")
            sx, sy = sx.reshape(-1), sy.reshape(-1)
            shifts = torch.stack((sx, sy, sx, sy), dim=1)
            cell = base.to(dtype=dtype, device=device)
            levels.append((shifts.view(-1, 1, 4) + cell.view(1, -1, 4)).reshape(-1, 4))
        per_image = torch.cat(levels)
        return [per_image for _ in range(len(image_list.image_sizes))]


class StatelessMultiScaleRoIAlign(MultiScaleRoIAlign):
    """torchvision's ``MultiScaleRoIAlign`` without its lazily cached ``scales``/``map_levels`` attributes.

    torchvision sets them on the first call, a module write like the anchor generator's (only once, but
    nothing orders that first call before other threads' reads). The level scales are a few scalar ops, so
    they are derived on every call instead.
    """

    def forward(self, x: Dict[str, Tensor], boxes: List[Tensor], image_shapes: List[Tuple[int, int]]) -> Tensor:
        features = _filter_input(x, self.featmap_names)
        scales, mapper = _setup_scales(features, image_shapes, self.canonical_scale, self.canonical_level)
        return _multiscale_roi_align(features, boxes, self.output_size, self.sampling_ratio, scales, mapper)


def make_stateless(model: nn.Module) -> nn.Module:
    """Turns every torchvision ``AnchorGenerator`` and ``MultiScaleRoIAlign`` in ``model`` into the stateless
    subclasses above, in place (same attributes, same outputs), so that a scripted export writes no module
    attribute in ``forward`` and one loaded module can serve many threads."""
    for m in model.modules():
        if type(m) is AnchorGenerator:
            m.__class__ = StatelessAnchorGenerator
        elif type(m) is MultiScaleRoIAlign:
            m.__class__ = StatelessMultiScaleRoIAlign
            m.scales, m.map_levels = None, None
    return model


class CoarseLevelRPN(RegionProposalNetwork):
    """The RPN on every FPN level except the stride-4 one (key "0"), which only the mask/keypoint pools read (and
    except the image that ``ImageTapBackbone`` may pass on).

    Same modules and state_dict keys as ``RegionProposalNetwork``; only the levels it is given differ.
    """

    def forward(self, images: ImageList, features: Dict[str, Tensor],
                targets: Optional[List[Dict[str, Tensor]]] = None) -> Tuple[List[Tensor], Dict[str, Tensor]]:
        levels: List[Tensor] = []
        for k, v in features.items():
            if k != "0" and k != "image":  # IMAGE_KEY
                levels.append(v)
        objectness, deltas = self.head(levels)
        anchors = self.anchor_generator(images, levels)
        per_level = [o[0].shape[0] * o[0].shape[1] * o[0].shape[2] for o in objectness]
        objectness, deltas = concat_box_prediction_layers(objectness, deltas)
        # proposals do not carry gradients (as in Faster R-CNN)
        proposals = self.box_coder.decode(deltas.detach(), anchors).view(len(anchors), -1, 4)
        boxes, _ = self.filter_proposals(proposals, objectness, images.image_sizes, per_level)
        losses: Dict[str, Tensor] = {}
        if self.training:
            if targets is None:
                raise ValueError("the RPN needs targets in training mode")
            labels, matched = self.assign_targets_to_anchors(anchors, targets)
            loss_obj, loss_reg = self.compute_loss(objectness, deltas, labels, self.box_coder.encode(matched, anchors))
            losses = {"loss_objectness": loss_obj, "loss_rpn_box_reg": loss_reg}
        return boxes, losses


def deep_taps(body: nn.ModuleDict) -> Dict[str, List[str]]:
    """For each output level of an extractor body: its tapped block, plus the last block of the same stride."""
    names = list(body.keys())
    starts = [n for n in names if getattr(body[n], "_is_cn", False)]
    taps: Dict[str, List[str]] = {}
    for layer, key in body.return_layers.items():
        group = [layer]
        if layer in starts:
            following = [s for s in starts if names.index(s) > names.index(layer)]
            end = names.index(following[0]) if following else len(names)
            last = names[end - 1]
            # the final 1x1 conv is the stride-32 tap already; the stride-4 stage has one block
            if last != layer and last not in body.return_layers:
                group.append(last)
        taps[key] = group
    return taps


class TappedBody(nn.ModuleDict):
    """The backbone's blocks (same names and weights), returning per level the concatenation of its taps."""

    def __init__(self, body: nn.ModuleDict, taps: Dict[str, List[str]]):
        super().__init__(list(body.items()))
        self.taps: Dict[str, List[str]] = taps
        self.level_of: Dict[str, str] = {n: key for key, names in taps.items() for n in names}

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        seen: Dict[str, List[Tensor]] = {}
        for name, module in self.items():
            x = module(x)
            if name in self.level_of:
                key = self.level_of[name]
                if key in seen:
                    seen[key].append(x)
                else:
                    seen[key] = [x]
        out: Dict[str, Tensor] = {}
        for key in self.taps.keys():
            out[key] = torch.cat(seen[key], 1)
        return out


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


def add_keypoint_branch(model: MaskRCNN, pool, in_channels: int, channels: int, layers: int, num_keypoints: int,
                        context_layers: int = 0, refine_channels: int = 0, detail: int = 0):
    """Same three modules KeypointRCNN puts into RoIHeads (the head optionally longer, and with a refining
    predictor that reads ``detail`` packed channels, see config; its pool is the caller's to pack)."""
    model.roi_heads.keypoint_roi_pool = pool
    head = (PassThroughKeypointHeads(in_channels, [channels] * layers) if refine_channels
            else KeypointRCNNHeads(in_channels, [channels] * layers))
    for _ in range(context_layers):
        conv = nn.Conv2d(channels, channels, 3, padding=2, dilation=2)
        nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
        nn.init.constant_(conv.bias, 0)
        head.append(conv)
        head.append(nn.ReLU(inplace=True))
    model.roi_heads.keypoint_head = head
    model.roi_heads.keypoint_predictor = (
        RefiningKeypointPredictor(channels, num_keypoints, detail, refine_channels) if refine_channels
        else KeypointRCNNPredictor(channels, num_keypoints))
    return model


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.state_dict().values() if p.is_floating_point())
