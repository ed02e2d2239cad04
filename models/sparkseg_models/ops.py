"""Pure-aten (TorchScript-able, no ``torchvision::`` custom op) versions of ``nms`` and ``roi_align``.

They follow torchvision's CPU kernels (torchvision 0.14):

* ``nms``: boxes visited in descending score order (stable sort); a box is dropped when its IoU with an
  already kept box is > ``iou_threshold``.  IoU is computed with the kernel's formula
  ``inter / (area_i + area_j - inter)``.  The greedy result is obtained as the fixed point of
  ``keep[j] = not any(keep[i] and iou[i, j] > thr for i < j)``, which is reached after at most N rounds
  (after round t the first t entries are final), usually after a few.
* ``roi_align``: average of bilinear samples per bin; ``aligned`` shifts boxes by -0.5; without it the
  RoI size is clamped to >= 1; ``sampling_ratio <= 0`` uses ``ceil(roi_size / output_size)`` samples per
  bin and RoI; samples outside ``[-1, H] x [-1, W]`` contribute 0; samples in ``[-1, 0]`` use the border;
  the sum is divided by ``max(grid_h * grid_w, 1)``.  The bilinear samples come from aten's
  ``grid_sample`` (a native kernel) at coordinates clamped the way the kernel clamps them, which
  makes it about as fast as the C++ op.
"""
from __future__ import annotations

from typing import List

import torch
from torch import Tensor
from torch.jit.annotations import BroadcastingList2
from torch.nn.modules.utils import _pair


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    if boxes.shape[0] == 0:
        return torch.zeros((0,), dtype=torch.int64, device=boxes.device)
    order = torch.sort(scores, stable=True, descending=True)[1]
    b = boxes[order]
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    area = (x2 - x1) * (y2 - y1)
    w = (torch.min(x2[:, None], x2[None, :]) - torch.max(x1[:, None], x1[None, :])).clamp(min=0)
    h = (torch.min(y2[:, None], y2[None, :]) - torch.max(y1[:, None], y1[None, :])).clamp(min=0)
    inter = w * h
    iou = inter / (area[:, None] + area[None, :] - inter)
    n = b.shape[0]
    upper = torch.ones((n, n), dtype=torch.bool, device=boxes.device).triu(1)
    sup = (iou > iou_threshold) & upper
    keep = torch.ones((n,), dtype=torch.bool, device=boxes.device)
    for _ in range(n + 1):
        new_keep = ~((sup & keep[:, None]).any(0))
        if bool(torch.equal(new_keep, keep)):
            break
        keep = new_keep
    return order[keep]


def roi_align(input: Tensor, boxes: Tensor, output_size: BroadcastingList2[int], spatial_scale: float = 1.0,
              sampling_ratio: int = -1, aligned: bool = False) -> Tensor:
    # The kernel's sample grid is separable (sample (a, b) of a bin sits at row y_a, column x_b, and
    # is counted iff both coordinates are in range), and so is bilinear interpolation.  So each RoI's
    # output is Wy @ F @ Wx^T with per-axis weight matrices: two matmuls per image instead of
    # gathering 4 corners x every sample x every channel.
    out_hw: List[int] = _pair(output_size)
    ph, pw = out_hw[0], out_hw[1]
    n_img, c, hgt, wid = input.shape[0], input.shape[1], input.shape[2], input.shape[3]
    k = boxes.shape[0]
    if k == 0:
        return input.new_zeros((0, c, ph, pw))
    rois = boxes.to(input.dtype)
    offset = 0.5 if aligned else 0.0
    x1 = rois[:, 1] * spatial_scale - offset
    y1 = rois[:, 2] * spatial_scale - offset
    x2 = rois[:, 3] * spatial_scale - offset
    y2 = rois[:, 4] * spatial_scale - offset
    rw = x2 - x1
    rh = y2 - y1
    if not aligned:
        rw = rw.clamp(min=1.0)
        rh = rh.clamp(min=1.0)
    bw = rw / pw
    bh = rh / ph
    if sampling_ratio > 0:
        gh = torch.full((k,), sampling_ratio, dtype=torch.int64, device=input.device)
        gw = gh
    else:
        gh = torch.ceil(rh / ph).to(torch.int64)
        gw = torch.ceil(rw / pw).to(torch.int64)
    gmax_h = max(int(gh.max()), 1)
    gmax_w = max(int(gw.max()), 1)
    dev = input.device
    iy = torch.arange(gmax_h, device=dev)
    ix = torch.arange(gmax_w, device=dev)
    py = torch.arange(ph, device=dev).to(input.dtype)
    px = torch.arange(pw, device=dev).to(input.dtype)
    ghf = gh.to(input.dtype).clamp(min=1.0)
    gwf = gw.to(input.dtype).clamp(min=1.0)
    # [K, ph, Gh] and [K, pw, Gw], same operation order as the kernel
    ys = y1[:, None, None] + py[None, :, None] * bh[:, None, None] + \
        (iy.to(input.dtype)[None, None, :] + 0.5) * bh[:, None, None] / ghf[:, None, None]
    xs = x1[:, None, None] + px[None, :, None] * bw[:, None, None] + \
        (ix.to(input.dtype)[None, None, :] + 0.5) * bw[:, None, None] / gwf[:, None, None]
    vy = (ys >= -1.0) & (ys <= float(hgt)) & (iy[None, None, :] < gh[:, None, None])
    vx = (xs >= -1.0) & (xs <= float(wid)) & (ix[None, None, :] < gw[:, None, None])
    ys = ys.clamp(min=0.0, max=float(hgt - 1))
    xs = xs.clamp(min=0.0, max=float(wid - 1))
    y_lo = ys.floor().to(torch.int64)
    x_lo = xs.floor().to(torch.int64)
    y_hi = (y_lo + 1).clamp(max=hgt - 1)
    x_hi = (x_lo + 1).clamp(max=wid - 1)
    # (y, x) of every sample, already clamped like the kernel, so grid_sample's own border rule never
    # applies; out-of-range samples are zeroed by the validity mask instead
    valid = vy.to(input.dtype)[:, :, :, None, None] * vx.to(input.dtype)[:, None, None, :, :]  # [K,ph,Gh,pw,Gw]
    gy = ys * (2.0 / float(max(hgt - 1, 1))) - 1.0
    gx = xs * (2.0 / float(max(wid - 1, 1))) - 1.0
    grid = torch.stack([gx[:, None, None, :, :].expand(k, ph, gmax_h, pw, gmax_w),
                        gy[:, :, :, None, None].expand(k, ph, gmax_h, pw, gmax_w)], dim=-1)
    grid = grid.reshape(k, ph * gmax_h, pw * gmax_w, 2)
    count = (gh * gw).clamp(min=1).to(input.dtype)
    out = input.new_zeros((k, c, ph, pw))
    bidx = rois[:, 0].to(torch.int64)
    for b in range(n_img):
        sel = (bidx == b).nonzero().reshape(-1)
        kb = sel.shape[0]
        if kb == 0:
            continue
        g = grid.index_select(0, sel).reshape(1, kb * ph * gmax_h, pw * gmax_w, 2)
        samples = torch.nn.functional.grid_sample(input[b:b + 1], g, mode="bilinear", padding_mode="border",
                                                  align_corners=True)                # [1, C, Kb*ph*Gh, pw*Gw]
        samples = samples.reshape(c, kb, ph, gmax_h, pw, gmax_w) * valid.index_select(0, sel)[None]
        res = samples.sum(dim=(3, 5)) / count.index_select(0, sel)[None, :, None, None]  # [C, Kb, ph, pw]
        out.index_copy_(0, sel, res.permute(1, 0, 2, 3))
    return out


_PATCHED = False


def patch_torchvision():
    """Make torchvision's detection code use these ops (call before torch.jit.script)."""
    global _PATCHED
    import torchvision.models.detection.roi_heads as roi_heads
    import torchvision.ops.boxes as tv_boxes
    import torchvision.ops.poolers as tv_poolers
    tv_boxes.nms = nms
    tv_poolers.roi_align = roi_align
    roi_heads.roi_align = roi_align
    _PATCHED = True
