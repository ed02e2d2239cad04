"""Box geometry the heads share: boxes enlarged about their centres, and boxes mirrored with the image."""
from __future__ import annotations

import torch
from torch import Tensor


def scale_boxes(boxes: Tensor, scale: float) -> Tensor:
    """xyxy ``boxes`` enlarged by ``scale`` about their centres (returned as they are at 1.0)."""
    if scale == 1.0:
        return boxes
    centre = (boxes[:, :2] + boxes[:, 2:]) * 0.5
    half = (boxes[:, 2:] - boxes[:, :2]) * (0.5 * scale)
    return torch.cat([centre - half, centre + half], dim=1)


def mirror_boxes(boxes: Tensor, width: int) -> Tensor:
    """``boxes`` (x1, y1, x2, y2) in an image ``width`` wide, mirrored left-right with the image: x -> width - x.
    Measured, not assumed: on 1.11.0 the heads' logits on the mirrored image agree best with the original ones at
    this offset (width - 1 - x and width + 1 - x agree less, and width - 1 - x scored lower AP; models/README.md)."""
    return torch.stack([width - boxes[:, 2], boxes[:, 1], width - boxes[:, 0], boxes[:, 3]], 1)
