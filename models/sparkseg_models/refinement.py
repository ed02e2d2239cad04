"""The 28x28 refinements of the mask and keypoint heads: a pool that packs the stride-4 level (and optionally the
image) next to the 14x14 pool, heads that pass that detail through, and predictors that add its logits."""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torchvision.models.detection.keypoint_rcnn import KeypointRCNNHeads, KeypointRCNNPredictor
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads
from torchvision.ops import MultiScaleRoIAlign


# channels the refinement's 1x1 projection keeps of the stride-4 level
FINE_DETAIL_CHANNELS = 32


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
