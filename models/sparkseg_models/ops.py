"""Pure-aten (TorchScript-able, no ``torchvision::`` custom op) versions of ``nms`` and ``roi_align``.

They follow torchvision's CPU kernels (torchvision 0.14):

* ``nms``: boxes visited in descending score order (stable sort); a box is dropped when its IoU with an
  already kept box is > ``iou_threshold``.  IoU is computed with the kernel's formula
  ``inter / (area_i + area_j - inter)``.  The greedy result is obtained as the fixed point of
  ``keep[j] = not any(keep[i] and iou[i, j] > thr for i < j)``, which is reached after at most N rounds
  (after round t the first t entries are final), usually after a few; each round is one matrix-vector
  product.
* ``roi_align``: average of bilinear samples per bin; ``aligned`` shifts boxes by -0.5; without it the
  RoI size is clamped to >= 1; ``sampling_ratio <= 0`` uses ``ceil(roi_size / output_size)`` samples per
  bin and RoI; samples outside ``[-1, H] x [-1, W]`` contribute 0; samples in ``[-1, 0]`` use the border;
  the sum is divided by ``max(grid_h * grid_w, 1)``.  Each bin is one weighted bag of aten's
  ``embedding_bag`` (a native kernel) over the map's channel vectors: every sample's four bilinear corners,
  indices and weights computed and clamped the way the kernel does it.
"""
from __future__ import annotations

import contextlib

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
    w = (torch.min(x2[:, None], x2[None, :]) - torch.max(x1[:, None], x1[None, :])).clamp_(min=0)
    h = (torch.min(y2[:, None], y2[None, :]) - torch.max(y1[:, None], y1[None, :])).clamp_(min=0)
    inter = w.mul_(h)
    iou = inter / (area[:, None] + area[None, :] - inter)
    # sup[i, j] = 1 when the higher-ranked box i would suppress j; as a float matrix, one matrix-vector
    # product per round counts the kept boxes suppressing each box
    sup = (iou > iou_threshold).to(b.dtype).triu_(1)
    keep = torch.ones((b.shape[0],), dtype=torch.bool, device=boxes.device)
    for _ in range(b.shape[0] + 1):
        new_keep = torch.mv(sup.t(), keep.to(b.dtype)) == 0
        if bool(torch.equal(new_keep, keep)):
            break
        keep = new_keep
    return order[keep]


def roi_align(input: Tensor, boxes: Tensor, output_size: BroadcastingList2[int], spatial_scale: float = 1.0,
              sampling_ratio: int = -1, aligned: bool = False) -> Tensor:
    # A bin is a weighted sum of feature vectors: Gh x Gw samples, each with four bilinear corners, all
    # weights divided by the sample count. So every bin of every RoI is one bag of one embedding_bag call
    # over the map laid out as rows of channels, which reads each corner's channels as one contiguous
    # vector (grid_sample gathers them one channel at a time: nearly twice the time on AVX2 machines).
    out_hw: List[int] = _pair(output_size)
    ph, pw = out_hw[0], out_hw[1]
    n_img, c, hgt, wid = input.shape[0], input.shape[1], input.shape[2], input.shape[3]
    k = boxes.shape[0]
    if k == 0:
        return input.new_zeros((0, c, ph, pw))
    dt = input.dtype
    dev = input.device
    rois = boxes.to(dt)
    offset = 0.5 if aligned else 0.0
    x1 = rois[:, 1] * spatial_scale - offset
    y1 = rois[:, 2] * spatial_scale - offset
    rw = rois[:, 3] * spatial_scale - offset - x1
    rh = rois[:, 4] * spatial_scale - offset - y1
    if not aligned:
        rw = rw.clamp(min=1.0)
        rh = rh.clamp(min=1.0)
    bw = rw / pw
    bh = rh / ph
    if sampling_ratio > 0:
        gh = torch.full((k,), sampling_ratio, dtype=torch.int64, device=dev)
        gw = gh
    else:
        gh = torch.ceil(rh / ph).to(torch.int64)
        gw = torch.ceil(rw / pw).to(torch.int64)
    gmax_h = max(int(gh.max()), 1)
    gmax_w = max(int(gw.max()), 1)
    iy, wy = _bilinear_taps(y1, bh, gh, ph, gmax_h, hgt)     # [K, ph, Gh, 2]
    ix, wx = _bilinear_taps(x1, bw, gw, pw, gmax_w, wid)     # [K, pw, Gw, 2]
    wy = wy / (gh * gw).clamp(min=1).to(dt)[:, None, None, None]
    base = rois[:, 0].to(torch.int64) * (hgt * wid)
    taps = gmax_h * 2 * gmax_w * 2
    # [K, ph, pw, Gh, 2, Gw, 2] -> one bag of `taps` rows per bin
    rows = (base[:, None, None, None, None, None, None] + iy[:, :, None, :, :, None, None] * wid
            + ix[:, None, :, None, None, :, :]).reshape(k * ph * pw, taps)
    weights = (wy[:, :, None, :, :, None, None] * wx[:, None, :, None, None, :, :]).reshape(k * ph * pw, taps)
    table = input.permute(0, 2, 3, 1).reshape(n_img * hgt * wid, c)
    out = torch.nn.functional.embedding_bag(rows, table, per_sample_weights=weights, mode="sum")
    return out.reshape(k, ph, pw, c).permute(0, 3, 1, 2).contiguous()


def _bilinear_taps(start: Tensor, bin_size: Tensor, grid: Tensor, pooled: int, gmax: int, size: int):
    """Along one axis, the two map indices and bilinear weights of each sample, [K, pooled, gmax, 2] each,
    computed and clamped as torchvision's kernel does; samples it drops (outside [-1, size], or past the
    RoI's own grid) get weight 0."""
    dt = start.dtype
    i = torch.arange(gmax, device=start.device)
    p = torch.arange(pooled, device=start.device).to(dt)
    gf = grid.to(dt).clamp(min=1.0)
    # same operation order as the kernel
    v = start[:, None, None] + p[None, :, None] * bin_size[:, None, None] + \
        (i.to(dt)[None, None, :] + 0.5) * bin_size[:, None, None] / gf[:, None, None]
    valid = (v >= -1.0) & (v <= float(size)) & (i[None, None, :] < grid[:, None, None])
    v = v.clamp(min=0.0)
    low = v.floor().to(torch.int64)
    last = low >= size - 1
    low = torch.where(last, torch.full_like(low, size - 1), low)
    high = torch.where(last, low, low + 1)
    frac = torch.where(last, torch.zeros_like(v), v - low.to(dt))
    keep = valid.to(dt)
    return torch.stack([low, high], -1), torch.stack([(1.0 - frac) * keep, frac * keep], -1)


_NATIVE = {}


def _sites():
    """The torchvision modules whose globals the detection code calls the ops through."""
    import torchvision.models.detection.roi_heads as roi_heads
    import torchvision.ops.boxes as tv_boxes
    import torchvision.ops.poolers as tv_poolers
    return tv_boxes, tv_poolers, roi_heads


def _install(nms_op, pooler_roi_align, heads_roi_align):
    tv_boxes, tv_poolers, roi_heads = _sites()
    tv_boxes.nms, tv_poolers.roi_align, roi_heads.roi_align = nms_op, pooler_roi_align, heads_roi_align


def patch_torchvision():
    """Make torchvision's detection code use these ops (call before torch.jit.script)."""
    tv_boxes, tv_poolers, roi_heads = _sites()
    if not _NATIVE:
        _NATIVE["ops"] = (tv_boxes.nms, tv_poolers.roi_align, roi_heads.roi_align)
    _install(nms, roi_align, roi_align)


@contextlib.contextmanager
def native_torchvision():
    """Within the block, torchvision's detection code uses its own C++ ops again (eager references)."""
    tv_boxes, tv_poolers, roi_heads = _sites()
    saved = (tv_boxes.nms, tv_poolers.roi_align, roi_heads.roi_align)
    if _NATIVE:
        _install(*_NATIVE["ops"])
    try:
        yield
    finally:
        _install(*saved)
