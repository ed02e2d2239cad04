"""The RoI heads in enlarged boxes (``MarginRoIHeads``, ``MarginTransform``) and the keypoint branch that joins
torchvision's mask R-CNN heads in one ``RoIHeads``."""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor, nn
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.keypoint_rcnn import KeypointRCNNHeads, KeypointRCNNPredictor
from torchvision.models.detection.roi_heads import fastrcnn_loss, keypointrcnn_loss, maskrcnn_loss, paste_masks_in_image
from torchvision.models.detection.transform import GeneralizedRCNNTransform

from .boxes import scale_boxes
from .refinement import PassThroughKeypointHeads, RefiningKeypointPredictor
from .tta import TestTimeRoIHeads, use_test_time_heads


def use_head_box_scale(model: MaskRCNN, scale: float, keypoint_scale: Optional[float] = None) -> MaskRCNN:
    """Makes ``model``'s mask head (and keypoint head, at ``keypoint_scale`` if given) work in boxes enlarged by
    ``scale`` (same modules and weights)."""
    model.roi_heads.__class__ = MarginRoIHeads
    model.roi_heads.head_box_scale = scale
    use_test_time_heads(model.roi_heads, scale if keypoint_scale is None else keypoint_scale, [], [scale])
    model.transform.__class__ = MarginTransform
    model.transform.mask_box_scale = scale
    return model


class MarginRoIHeads(TestTimeRoIHeads):
    """torchvision's ``RoIHeads`` whose mask head sees the box enlarged by ``head_box_scale`` and whose keypoint
    head sees it enlarged by ``keypoint_box_scale``.

    The box branch is unchanged. In training, the heads pool the positive proposals enlarged, and their targets
    (GT masks resampled into the box, keypoint heat maps) are made in the same enlarged boxes, so keypoints just
    outside a proposal are targets instead of being dropped. At inference the keypoints are decoded in the
    enlarged box; the masks are too, so they must be pasted into it (``MarginTransform``, and the bundle's
    ``mask_box_scale`` for the Java side).
    """

    head_box_scale = 1.0

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
        # the test-time inference (box scales from use_head_box_scale), without the flip, for every detection
        everything: List[int] = []
        return self.detect(features, proposals, image_shapes, None, 0, everything, 0.0, everything), losses


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
