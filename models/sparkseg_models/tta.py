"""Test-time augmentation of the mask and keypoint heads: the flip (heads also on the mirrored image) and extra
test-time box scales, written once in ``TestTimeRoIHeads.detect``, which the eager models and the exported
``export.BundleModule`` both run."""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor
from torch.nn import functional as F
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.roi_heads import RoIHeads, keypointrcnn_inference, maskrcnn_inference

from .boxes import mirror_boxes, scale_boxes


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



class TestTimeRoIHeads(RoIHeads):
    """torchvision's ``RoIHeads`` (same modules, keys and training) with the inference both the eager models and
    the exported module run, in ``detect``: the mask head in each of ``mask_test_box_scales`` (largest first), the
    keypoint head in ``keypoint_box_scale`` and each of ``keypoint_test_box_scales``, optionally also on the
    mirrored image, and optionally only on detections over a score floor or of some labels."""

    # real types, not strings (this module uses postponed annotations), for TorchScript to type an empty list
    __annotations__ = {**RoIHeads.__annotations__, "keypoint_test_box_scales": List[float],
                       "mask_test_box_scales": List[float]}

    def detect(self, features: Dict[str, Tensor], proposals: List[Tensor], image_shapes: List[Tuple[int, int]],
               mirrored: Optional[Dict[str, Tensor]], width: int, keypoint_mirror: List[int], min_score: float,
               keypoint_labels: List[int]) -> List[Dict[str, Tensor]]:
        """torchvision's ``RoIHeads.forward`` at inference, plus: detections scoring under ``min_score`` leave before
        the mask and keypoint heads; with ``mirrored`` (the backbone's features of the batch mirrored, ``width``
        wide) the heads also run in the mirrored boxes and their logits are averaged with the mirrored-back ones
        (keypoint heat maps reordered by ``keypoint_mirror``); the keypoint head runs only on detections whose label
        is in ``keypoint_labels`` (empty: all), the others get zero keypoints. Optional heads are tested as
        ``self.<head>`` (not through a local) so TorchScript drops the absent ones."""
        box_features = self.box_head(self.box_roi_pool(features, proposals, image_shapes))
        class_logits, box_regression = self.box_predictor(box_features)
        boxes, scores, labels = self.postprocess_detections(class_logits, box_regression, proposals, image_shapes)
        if min_score > 0.0:
            for i in range(len(boxes)):
                keep = scores[i] >= min_score
                boxes[i] = boxes[i][keep]
                scores[i] = scores[i][keep]
                labels[i] = labels[i][keep]
        result: List[Dict[str, Tensor]] = []
        for i in range(len(boxes)):
            result.append({"boxes": boxes[i], "labels": labels[i], "scores": scores[i]})
        if self.mask_roi_pool is not None and self.mask_head is not None and self.mask_predictor is not None:
            mask_logits: List[Tensor] = []
            for scale in self.mask_test_box_scales:
                head_boxes = [scale_boxes(b, scale) for b in boxes]
                logits = self.mask_predictor(self.mask_head(self.mask_roi_pool(features, head_boxes, image_shapes)))
                if mirrored is not None:
                    back = self.mask_predictor(self.mask_head(self.mask_roi_pool(
                        mirrored, [mirror_boxes(b, width) for b in head_boxes], image_shapes))).flip(-1)
                    logits = (logits + back) * 0.5
                mask_logits.append(logits)
            for mask_prob, r in zip(mask_probs_at_scales(mask_logits, self.mask_test_box_scales, labels), result):
                r["masks"] = mask_prob
        if self.keypoint_roi_pool is not None and self.keypoint_head is not None \
                and self.keypoint_predictor is not None:
            picked: List[Tensor] = []
            kp_boxes: List[Tensor] = []
            for i in range(len(boxes)):
                if len(keypoint_labels) == 0:
                    sel = torch.arange(labels[i].shape[0], device=labels[i].device)
                else:
                    hit = torch.zeros_like(labels[i], dtype=torch.bool)
                    for lab in keypoint_labels:
                        hit = hit | (labels[i] == lab)
                    sel = hit.nonzero().reshape(-1)
                picked.append(sel)
                kp_boxes.append(scale_boxes(boxes[i][sel], self.keypoint_box_scale))
            scales = [self.keypoint_box_scale] + self.keypoint_test_box_scales
            maps: List[Tensor] = []
            for scale in scales:
                scaled = [scale_boxes(boxes[i][picked[i]], scale) for i in range(len(boxes))]
                kp_logits = self.keypoint_predictor(self.keypoint_head(
                    self.keypoint_roi_pool(features, scaled, image_shapes)))
                if mirrored is not None:
                    back = self.keypoint_predictor(self.keypoint_head(
                        self.keypoint_roi_pool(mirrored, [mirror_boxes(b, width) for b in scaled],
                                               image_shapes))).flip(-1)
                    kp_logits = (kp_logits + back[:, keypoint_mirror]) * 0.5
                maps.append(kp_logits)
            kp_xy, kp_scores = keypointrcnn_inference(average_box_scales(maps, scales), kp_boxes)
            for i in range(len(boxes)):
                n = boxes[i].shape[0]
                k = kp_xy[i].shape[1]
                full = torch.zeros((n, k, 3), dtype=boxes[i].dtype, device=boxes[i].device)
                full_scores = torch.zeros((n, k), dtype=boxes[i].dtype, device=boxes[i].device)
                full[picked[i]] = kp_xy[i]
                full_scores[picked[i]] = kp_scores[i]
                result[i]["keypoints"] = full
                result[i]["keypoints_scores"] = full_scores
        return result


def use_test_time_heads(roi_heads: RoIHeads, keypoint_box_scale: float = 1.0,
                        keypoint_test_box_scales: Optional[List[float]] = None,
                        mask_test_box_scales: Optional[List[float]] = None) -> TestTimeRoIHeads:
    """Gives a torchvision ``RoIHeads`` (in place, same modules and weights) the ``detect`` of ``TestTimeRoIHeads``
    and its box scales; a ``TestTimeRoIHeads`` (or subclass) keeps its class."""
    if not isinstance(roi_heads, TestTimeRoIHeads):
        roi_heads.__class__ = TestTimeRoIHeads
    roi_heads.keypoint_box_scale = float(keypoint_box_scale)
    roi_heads.keypoint_test_box_scales = [float(x) for x in (keypoint_test_box_scales or [])]
    roi_heads.mask_test_box_scales = [float(x) for x in (mask_test_box_scales or [1.0])]
    return roi_heads


class FlipTestMaskRCNN(MaskRCNN):
    """torchvision's ``MaskRCNN`` with flip test-time augmentation for the mask and keypoint heads (config
    ``flip_test``): at inference they also run on the mirrored image in the mirrored boxes, and their logits are
    averaged with the mirrored-back ones (keypoint heat maps with left and right keypoints swapped,
    ``keypoint_mirror``). Boxes, labels and scores come from the original pass alone. Training is MaskRCNN's.
    Its RoI heads are a ``TestTimeRoIHeads``, whose ``detect`` the exported ``BundleModule`` runs as well."""

    keypoint_mirror: List[int] = []

    def forward(self, images, targets=None):
        if self.training:
            return super().forward(images, targets)
        original_sizes = [(int(img.shape[-2]), int(img.shape[-1])) for img in images]
        il, _ = self.transform(images)
        features = self.backbone(il.tensors)
        proposals, _ = self.rpn(il, features)
        mirrored = self.backbone(il.tensors.flip(-1))
        result = self.roi_heads.detect(features, proposals, il.image_sizes, mirrored, int(il.tensors.shape[-1]),
                                       self.keypoint_mirror, 0.0, [])
        return self.transform.postprocess(result, il.image_sizes, original_sizes)
