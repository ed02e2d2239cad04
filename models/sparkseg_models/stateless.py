"""torchvision modules whose forward writes module state, replaced by ones that do not: one loaded TorchScript
module serves many inference threads, and a write to a shared attribute in forward is a data race."""
from __future__ import annotations

from typing import Dict, List, Tuple

import torch
from torch import Tensor, nn
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList
from torchvision.ops import MultiScaleRoIAlign
from torchvision.ops.poolers import _filter_input, _multiscale_roi_align, _setup_scales


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
