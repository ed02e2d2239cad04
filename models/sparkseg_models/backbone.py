"""The backbone's feature levels: deeper taps of the mobilenet stages, the input image passed on next to the FPN
levels, and an RPN that reads the coarse levels only (the stride-4 level is the mask and keypoint pools')."""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor, nn
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.rpn import RegionProposalNetwork, concat_box_prediction_layers


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
