"""Detectron2 Mask / Keypoint R-CNN (ResNet-FPN) checkpoints as sparkseg bundles (``export detectron2``).

Detectron2 is not needed: ``Detectron2RCNN`` rebuilds its ``GeneralizedRCNN`` inference path (ResNet with
FrozenBN, FPN, RPN, ``StandardROIHeads`` with its box, mask and keypoint heads) from the config keys that matter,
with Detectron2's module and parameter names, so a model-zoo ``model_final_*.pkl`` or a ``.pth`` state dict loads
as it is. Inference follows Detectron2's code, not torchvision's where they differ: unrounded anchors at offset 0,
per-level pre-NMS top-k and per-image post-NMS top-k, its level assignment (canonical box 224 at level 4, eps
1e-8), ``ROIAlignV2`` (aligned) with adaptive sampling, background as the *last* class logit, class-specific
deltas decoded with ``BBOX_REG_WEIGHTS``, strict ``score > SCORE_THRESH_TEST``, no small-box filter, and its
``heatmaps_to_keypoints`` decoding (bicubic upsampling of each heat map to the box, score = the peak's softmax
over the 56x56 map). nms and roi_align are sparkseg's pure-aten ops (``ops.py``): the archive holds no
``torchvision::`` or Detectron2 op.

The bundle contract is the common one (``export.py``); what differs is declared in model.json:
``input.resize.rule = "detectron2"`` (``ResizeShortestEdge``: sides rounded half up, the uint8 image resized by
PIL's bilinear filter as ``DefaultPredictor`` does) and ``output.postprocess = "detectron2"``
(``detector_postprocess``'s clipping and ``paste_masks_in_image``: grid_sample of the 28x28 map in the box, kept
``>= threshold``). The caller still feeds
RGB in 0..1: the module turns it into the config's ``INPUT.FORMAT`` (BGR for the model zoo) in 0..255 before
subtracting ``PIXEL_MEAN`` and dividing by ``PIXEL_STD``. Labels are Detectron2's contiguous classes plus one.

  python3 -m sparkseg_models.export detectron2 --config mask_rcnn_R_50_FPN_3x.yaml \\
      --weights model_final_f10217.pkl --categories categories/coco_detectron2.json --out bundle
"""
from __future__ import annotations

import math
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import ops
from .detectron2_config import RESNET_BLOCKS, anchor_params

class FrozenBN(nn.Module):
    """Batch norm with fixed statistics and affine parameters (Detectron2's FrozenBatchNorm2d at inference)."""

    def __init__(self, n: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", torch.ones(n))
        self.register_buffer("bias", torch.zeros(n))
        self.register_buffer("running_mean", torch.zeros(n))
        self.register_buffer("running_var", torch.ones(n))

    def forward(self, x: Tensor) -> Tensor:
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)


class Conv(nn.Conv2d):
    """Detectron2's Conv2d: a convolution whose ``norm`` (FrozenBN or none) follows it under the conv's own name."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1,
                 groups: int = 1, norm: bool = False):
        super().__init__(cin, cout, k, stride=stride, padding=padding, dilation=dilation, groups=groups,
                         bias=not norm)
        self.norm = FrozenBN(cout) if norm else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self._conv_forward(x, self.weight, self.bias))


class Bottleneck(nn.Module):
    def __init__(self, cin: int, mid: int, cout: int, stride: int, groups: int, dilation: int, stride_in_1x1: bool):
        super().__init__()
        self.shortcut = Conv(cin, cout, 1, stride=stride, norm=True) if cin != cout else nn.Identity()
        s1, s3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = Conv(cin, mid, 1, stride=s1, norm=True)
        self.conv2 = Conv(mid, mid, 3, stride=s3, padding=dilation, dilation=dilation, groups=groups, norm=True)
        self.conv3 = Conv(mid, cout, 1, norm=True)

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.conv1(x))
        out = F.relu(self.conv2(out))
        out = self.conv3(out)
        return F.relu(out + self.shortcut(x))


class Stem(nn.Module):
    def __init__(self, cout: int):
        super().__init__()
        self.conv1 = Conv(3, cout, 7, stride=2, padding=3, norm=True)

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(F.relu(self.conv1(x)), kernel_size=3, stride=2, padding=1)


class ResNet(nn.Module):
    """``backbone.bottom_up``: stem and stages res2..res5."""

    def __init__(self, cfg: dict):
        super().__init__()
        self.stem = Stem(cfg["MODEL.RESNETS.STEM_OUT_CHANNELS"])
        cin = cfg["MODEL.RESNETS.STEM_OUT_CHANNELS"]
        cout = cfg["MODEL.RESNETS.RES2_OUT_CHANNELS"]
        mid = cfg["MODEL.RESNETS.NUM_GROUPS"] * cfg["MODEL.RESNETS.WIDTH_PER_GROUP"]
        self.out_channels: List[int] = []
        for idx, n in enumerate(RESNET_BLOCKS[cfg["MODEL.RESNETS.DEPTH"]]):
            dilation = cfg["MODEL.RESNETS.RES5_DILATION"] if idx == 3 else 1
            first = 1 if idx == 0 or dilation == 2 else 2
            blocks = []
            for b in range(n):
                blocks.append(Bottleneck(cin, mid, cout, first if b == 0 else 1, cfg["MODEL.RESNETS.NUM_GROUPS"],
                                         dilation, bool(cfg["MODEL.RESNETS.STRIDE_IN_1X1"])))
                cin = cout
            self.add_module(f"res{idx + 2}", nn.Sequential(*blocks))
            self.out_channels.append(cout)
            cout *= 2
            mid *= 2

    def forward(self, x: Tensor) -> List[Tensor]:
        c2 = self.res2(self.stem(x))
        c3 = self.res3(c2)
        c4 = self.res4(c3)
        return [c2, c3, c4, self.res5(c4)]


class FPN(nn.Module):
    """``backbone``: ``bottom_up`` plus ``fpn_lateral{2..5}`` / ``fpn_output{2..5}``; p6 = max-pool of p5."""

    def __init__(self, cfg: dict):
        super().__init__()
        self.bottom_up = ResNet(cfg)
        ch = cfg["MODEL.FPN.OUT_CHANNELS"]
        self.average = cfg["MODEL.FPN.FUSE_TYPE"] == "avg"
        for level, cin in zip(range(2, 6), self.bottom_up.out_channels):
            self.add_module(f"fpn_lateral{level}", nn.Conv2d(cin, ch, 1))
            self.add_module(f"fpn_output{level}", nn.Conv2d(ch, ch, 3, padding=1))

    def _merge(self, lateral: Tensor, prev: Tensor) -> Tensor:
        merged = lateral + F.interpolate(prev, scale_factor=2.0, mode="nearest")
        return merged / 2 if self.average else merged

    def forward(self, x: Tensor) -> List[Tensor]:
        c = self.bottom_up(x)
        t5 = self.fpn_lateral5(c[3])
        t4 = self._merge(self.fpn_lateral4(c[2]), t5)
        t3 = self._merge(self.fpn_lateral3(c[1]), t4)
        t2 = self._merge(self.fpn_lateral2(c[0]), t3)
        p5 = self.fpn_output5(t5)
        return [self.fpn_output2(t2), self.fpn_output3(t3), self.fpn_output4(t4), p5,
                F.max_pool2d(p5, kernel_size=1, stride=2, padding=0)]


class RPNHead(nn.Module):
    def __init__(self, ch: int, anchors: int):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)
        self.objectness_logits = nn.Conv2d(ch, anchors, 1)
        self.anchor_deltas = nn.Conv2d(ch, anchors * 4, 1)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        t = F.relu(self.conv(x))
        return self.objectness_logits(t), self.anchor_deltas(t)


class BoxPredictor(nn.Module):
    """``roi_heads.box_predictor``: class logits (background last) and class-specific box deltas."""

    def __init__(self, dim: int, classes: int, agnostic: bool):
        super().__init__()
        self.cls_score = nn.Linear(dim, classes + 1)
        self.bbox_pred = nn.Linear(dim, 4 * (1 if agnostic else classes))

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        return self.cls_score(x), self.bbox_pred(x)


class RPN(nn.Module):
    """``proposal_generator``: the head and its inference (``find_top_rpn_proposals``)."""

    def __init__(self, cfg: dict, ch: int):
        super().__init__()
        sizes, ratios = anchor_params(cfg)
        cells = []
        for s, r in zip(sizes, ratios):
            cell = []
            for size in s:
                area = size ** 2.0
                for ratio in r:
                    w = math.sqrt(area / ratio)
                    h = ratio * w
                    cell.append([-w / 2.0, -h / 2.0, w / 2.0, h / 2.0])
            cells.append(cell)
        if len({len(c) for c in cells}) != 1:
            raise ValueError("every RPN level must have the same number of anchors (Detectron2's head has one conv)")
        self.register_buffer("cell_anchors", torch.tensor(cells, dtype=torch.float32), persistent=False)
        self.strides = [4, 8, 16, 32, 64]
        self.offset = float(cfg["MODEL.ANCHOR_GENERATOR.OFFSET"])
        self.rpn_head = RPNHead(ch, len(cells[0]))
        self.weights = [float(x) for x in cfg["MODEL.RPN.BBOX_REG_WEIGHTS"]]
        self.pre_nms_topk = int(cfg["MODEL.RPN.PRE_NMS_TOPK_TEST"])
        self.post_nms_topk = int(cfg["MODEL.RPN.POST_NMS_TOPK_TEST"])
        self.nms_thresh = float(cfg["MODEL.RPN.NMS_THRESH"])
        self.min_size = float(cfg["MODEL.PROPOSAL_GENERATOR.MIN_SIZE"])

    def _anchors(self, level: int, h: int, w: int) -> Tensor:
        stride = self.strides[level]
        dev = self.cell_anchors.device
        xs = torch.arange(self.offset * stride, float(w * stride), float(stride), dtype=torch.float32, device=dev)
        ys = torch.arange(self.offset * stride, float(h * stride), float(stride), dtype=torch.float32, device=dev)
        sy, sx = torch.meshgrid(ys, xs, indexing="ij")
        sx = sx.reshape(-1)
        sy = sy.reshape(-1)
        shifts = torch.stack((sx, sy, sx, sy), dim=1)
        return (shifts.view(-1, 1, 4) + self.cell_anchors[level].view(1, -1, 4)).reshape(-1, 4)

    def forward(self, features: List[Tensor], image_sizes: List[Tuple[int, int]]) -> List[Tensor]:
        n = features[0].shape[0]
        scores: List[Tensor] = []
        boxes: List[Tensor] = []
        levels: List[Tensor] = []
        rows = torch.arange(n, device=features[0].device)
        for i, x in enumerate(features):
            logits, d = self.rpn_head(x)
            logits = logits.permute(0, 2, 3, 1).flatten(1)
            d = d.view(n, -1, 4, d.shape[-2], d.shape[-1]).permute(0, 3, 4, 1, 2).flatten(1, -2)
            anchors = self._anchors(i, x.shape[-2], x.shape[-1])
            props = apply_deltas(d.reshape(-1, 4), anchors.unsqueeze(0).expand(n, -1, -1).reshape(-1, 4),
                                 self.weights).view(n, -1, 4)
            k = min(logits.shape[1], self.pre_nms_topk)
            top, idx = logits.topk(k, dim=1)
            boxes.append(props[rows[:, None], idx])
            scores.append(top)
            levels.append(torch.full((k,), i, dtype=torch.int64, device=x.device))
        all_scores = torch.cat(scores, dim=1)
        all_boxes = torch.cat(boxes, dim=1)
        all_levels = torch.cat(levels)
        out: List[Tensor] = []
        for j, (h, w) in enumerate(image_sizes):
            b = all_boxes[j]
            s = all_scores[j]
            lv = all_levels
            valid = torch.isfinite(b).all(dim=1) & torch.isfinite(s)
            if not bool(valid.all()):
                b, s, lv = b[valid], s[valid], lv[valid]
            b = clip(b, h, w)
            keep = nonempty(b, self.min_size)
            b, s, lv = b[keep], s[keep], lv[keep]
            keep = batched_nms(b, s, lv, self.nms_thresh)[:self.post_nms_topk]
            out.append(b[keep])
        return out


def apply_deltas(deltas: Tensor, boxes: Tensor, weights: List[float],
                 scale_clamp: float = math.log(1000.0 / 16)) -> Tensor:
    """Detectron2's Box2BoxTransform.apply_deltas: (dx, dy, dw, dh) per class, no +1 in widths."""
    deltas = deltas.float()
    boxes = boxes.to(deltas.dtype)
    widths = boxes[:, 2] - boxes[:, 0]
    heights = boxes[:, 3] - boxes[:, 1]
    ctr_x = boxes[:, 0] + 0.5 * widths
    ctr_y = boxes[:, 1] + 0.5 * heights
    dx = deltas[:, 0::4] / weights[0]
    dy = deltas[:, 1::4] / weights[1]
    dw = torch.clamp(deltas[:, 2::4] / weights[2], max=scale_clamp)
    dh = torch.clamp(deltas[:, 3::4] / weights[3], max=scale_clamp)
    pred_ctr_x = dx * widths[:, None] + ctr_x[:, None]
    pred_ctr_y = dy * heights[:, None] + ctr_y[:, None]
    pred_w = torch.exp(dw) * widths[:, None]
    pred_h = torch.exp(dh) * heights[:, None]
    x1 = pred_ctr_x - 0.5 * pred_w
    y1 = pred_ctr_y - 0.5 * pred_h
    x2 = pred_ctr_x + 0.5 * pred_w
    y2 = pred_ctr_y + 0.5 * pred_h
    return torch.stack((x1, y1, x2, y2), dim=-1).reshape(deltas.shape)


def clip(boxes: Tensor, h: int, w: int) -> Tensor:
    return torch.stack((boxes[:, 0].clamp(min=0, max=w), boxes[:, 1].clamp(min=0, max=h),
                        boxes[:, 2].clamp(min=0, max=w), boxes[:, 3].clamp(min=0, max=h)), dim=-1)


def nonempty(boxes: Tensor, threshold: float = 0.0) -> Tensor:
    return ((boxes[:, 2] - boxes[:, 0]) > threshold) & ((boxes[:, 3] - boxes[:, 1]) > threshold)


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """NMS within each ``idxs`` group, the way torchvision's batched_nms (which Detectron2 calls) picks its method:
    one NMS over boxes offset per group, or above 1,000 boxes (5,000 on a GPU) one NMS per group."""
    if boxes.numel() == 0:
        return torch.zeros((0,), dtype=torch.int64, device=boxes.device)
    boxes = boxes.float()
    if boxes.numel() > (20000 if boxes.is_cuda else 4000):
        keep_mask = torch.zeros_like(scores, dtype=torch.bool)
        for group in torch.unique(idxs):
            where = torch.where(idxs == group)[0]
            keep_mask[where[ops.nms(boxes[where], scores[where], iou_threshold)]] = True
        kept = torch.where(keep_mask)[0]
        return kept[scores[kept].sort(descending=True)[1]]
    offsets = idxs.to(boxes) * (boxes.max() + torch.tensor(1).to(boxes))
    return ops.nms(boxes + offsets[:, None], scores, iou_threshold)


def pool(features: List[Tensor], boxes: List[Tensor], output_size: int, sampling_ratio: int) -> Tensor:
    """Detectron2's ROIPooler over p2..p5 with ROIAlignV2: each box pooled from level
    floor(4 + log2(sqrt(area) / 224 + 1e-8)), clamped to 2..5."""
    rois: List[Tensor] = []
    for i, b in enumerate(boxes):
        rois.append(torch.cat([torch.full((b.shape[0], 1), float(i), dtype=b.dtype, device=b.device), b], dim=1))
    fmt = torch.cat(rois, dim=0)
    out = torch.zeros((fmt.shape[0], features[0].shape[1], output_size, output_size),
                      dtype=features[0].dtype, device=features[0].device)
    if fmt.shape[0] == 0:
        return out
    area = (fmt[:, 3] - fmt[:, 1]) * (fmt[:, 4] - fmt[:, 2])
    level = torch.floor(4 + torch.log2(torch.sqrt(area) / 224 + 1e-8))
    level = torch.clamp(level, min=2, max=5).to(torch.int64) - 2
    # ops.roi_align pads every box's sampling grid to the largest one of its call: a few long thin boxes (anchors
    # clipped at the border, pooled from p2 for their small area) would cost every box their grid, so boxes go
    # in groups of similar grids (the values do not depend on the grouping)
    for i, x in enumerate(features):
        scale = 0.25 / float(1 << i)
        gw = torch.ceil(torch.log2(torch.ceil((fmt[:, 3] - fmt[:, 1]) * scale / output_size).clamp(min=1)))
        gh = torch.ceil(torch.log2(torch.ceil((fmt[:, 4] - fmt[:, 2]) * scale / output_size).clamp(min=1)))
        group = torch.where(level == i, (gh * 64 + gw).to(torch.int64), torch.full_like(level, -1))
        groups: List[int] = torch.unique(group).tolist()
        for g in groups:
            if g < 0:
                continue
            inds = torch.where(group == g)[0]
            out.index_put_((inds,), ops.roi_align(x, fmt[inds], [output_size, output_size], scale,
                                                  sampling_ratio, True))
    return out


def heatmaps_to_keypoints(maps: Tensor, rois: Tensor) -> Tuple[Tensor, Tensor]:
    """Detectron2's keypoint decoding: each heat map upsampled (bicubic) to the box's ceiled size, the peak cell's
    centre mapped back into the box; its score is the peak's softmax over the map at its own resolution. Returns
    (keypoints [R, K, 3] as (x, y, 1), scores [R, K])."""
    r, k = maps.shape[0], maps.shape[1]
    xy = maps.new_zeros((r, k, 3))
    scores = maps.new_zeros((r, k))
    widths = (rois[:, 2] - rois[:, 0]).clamp(min=1)
    heights = (rois[:, 3] - rois[:, 1]).clamp(min=1)
    widths_ceil = widths.ceil()
    heights_ceil = heights.ceil()
    wcorr = widths / widths_ceil
    hcorr = heights / heights_ceil
    for i in range(r):
        size = [int(heights_ceil[i]), int(widths_ceil[i])]
        m = F.interpolate(maps[i:i + 1], size=size, mode="bicubic", align_corners=False)[0]
        flat = m.reshape(k, -1)
        peak, pos = flat.max(1)
        w = m.shape[2]
        x_int = pos % w
        y_int = torch.div(pos - x_int, w, rounding_mode="floor")
        xy[i, :, 0] = (x_int.float() + 0.5) * wcorr[i] + rois[i, 0]
        xy[i, :, 1] = (y_int.float() + 0.5) * hcorr[i] + rois[i, 1]
        xy[i, :, 2] = 1.0
        scores[i] = 1.0 / (maps[i] - peak[:, None, None]).exp().sum((1, 2))
    return xy, scores


def _conv_relu_stack(prefix: str, cin: int, dims: List[int]) -> Tuple[List[Tuple[str, nn.Module]], int]:
    layers: List[Tuple[str, nn.Module]] = []
    for i, d in enumerate(dims, 1):
        layers.append((f"{prefix}{i}", nn.Conv2d(cin, d, 3, padding=1)))
        layers.append((f"{prefix}_relu{i}", nn.ReLU()))
        cin = d
    return layers, cin


class ROIHeads(nn.Module):
    """``roi_heads``: StandardROIHeads' box head and predictor, mask head, keypoint head (inference only)."""

    def __init__(self, cfg: dict, ch: int):
        super().__init__()
        from collections import OrderedDict
        c = cfg["MODEL.ROI_HEADS.NUM_CLASSES"]
        self.num_classes = c
        self.box_resolution = cfg["MODEL.ROI_BOX_HEAD.POOLER_RESOLUTION"]
        self.box_sampling = cfg["MODEL.ROI_BOX_HEAD.POOLER_SAMPLING_RATIO"]
        fc = cfg["MODEL.ROI_BOX_HEAD.FC_DIM"]
        layers = [("flatten", nn.Flatten())]
        cin = ch * self.box_resolution ** 2
        for i in range(1, cfg["MODEL.ROI_BOX_HEAD.NUM_FC"] + 1):
            layers += [(f"fc{i}", nn.Linear(cin, fc)), (f"fc_relu{i}", nn.ReLU())]
            cin = fc
        self.box_head = nn.Sequential(OrderedDict(layers))
        self.box_predictor = BoxPredictor(fc, c, bool(cfg["MODEL.ROI_BOX_HEAD.CLS_AGNOSTIC_BBOX_REG"]))
        self.box_weights = [float(x) for x in cfg["MODEL.ROI_BOX_HEAD.BBOX_REG_WEIGHTS"]]
        self.score_thresh = float(cfg["MODEL.ROI_HEADS.SCORE_THRESH_TEST"])
        self.nms_thresh = float(cfg["MODEL.ROI_HEADS.NMS_THRESH_TEST"])
        self.detections_per_image = int(cfg["TEST.DETECTIONS_PER_IMAGE"])
        self.mask_on = bool(cfg["MODEL.MASK_ON"])
        self.keypoint_on = bool(cfg["MODEL.KEYPOINT_ON"])
        self.mask_resolution = cfg["MODEL.ROI_MASK_HEAD.POOLER_RESOLUTION"]
        self.mask_sampling = cfg["MODEL.ROI_MASK_HEAD.POOLER_SAMPLING_RATIO"]
        self.mask_agnostic = bool(cfg["MODEL.ROI_MASK_HEAD.CLS_AGNOSTIC_MASK"])
        if self.mask_on:
            layers, cin = _conv_relu_stack("mask_fcn", ch, [cfg["MODEL.ROI_MASK_HEAD.CONV_DIM"]]
                                           * cfg["MODEL.ROI_MASK_HEAD.NUM_CONV"])
            dim = cfg["MODEL.ROI_MASK_HEAD.CONV_DIM"]
            layers += [("deconv", nn.ConvTranspose2d(cin, dim, 2, stride=2)), ("deconv_relu", nn.ReLU()),
                       ("predictor", nn.Conv2d(dim, 1 if self.mask_agnostic else c, 1))]
            self.mask_head = nn.Sequential(OrderedDict(layers))
        else:
            self.mask_head = nn.Sequential()
        self.keypoint_resolution = cfg["MODEL.ROI_KEYPOINT_HEAD.POOLER_RESOLUTION"]
        self.keypoint_sampling = cfg["MODEL.ROI_KEYPOINT_HEAD.POOLER_SAMPLING_RATIO"]
        self.num_keypoints = cfg["MODEL.ROI_KEYPOINT_HEAD.NUM_KEYPOINTS"] if self.keypoint_on else 0
        if self.keypoint_on:
            layers, cin = _conv_relu_stack("conv_fcn", ch, list(cfg["MODEL.ROI_KEYPOINT_HEAD.CONV_DIMS"]))
            layers.append(("score_lowres", nn.ConvTranspose2d(cin, self.num_keypoints, 4, stride=2, padding=1)))
            self.keypoint_head = nn.Sequential(OrderedDict(layers))
        else:
            self.keypoint_head = nn.Sequential()

    def boxes(self, features: List[Tensor], proposals: List[Tensor],
              image_sizes: List[Tuple[int, int]]) -> List[Tuple[Tensor, Tensor, Tensor]]:
        """(boxes, scores, classes) per image: ``fast_rcnn_inference``."""
        x = self.box_head(pool(features[:4], proposals, self.box_resolution, self.box_sampling))
        logits, deltas = self.box_predictor(x)
        all_boxes = apply_deltas(deltas, torch.cat(proposals, dim=0), self.box_weights)
        all_scores = F.softmax(logits, dim=-1)
        out: List[Tuple[Tensor, Tensor, Tensor]] = []
        start = 0
        for j, (h, w) in enumerate(image_sizes):
            n = proposals[j].shape[0]
            boxes = all_boxes[start:start + n]
            scores = all_scores[start:start + n]
            start += n
            valid = torch.isfinite(boxes).all(dim=1) & torch.isfinite(scores).all(dim=1)
            if not bool(valid.all()):
                boxes, scores = boxes[valid], scores[valid]
            scores = scores[:, :-1]
            per_class = boxes.shape[1] // 4
            boxes = clip(boxes.reshape(-1, 4), h, w).view(-1, per_class, 4)
            mask = scores > self.score_thresh
            inds = mask.nonzero()
            if per_class == 1:
                boxes = boxes[inds[:, 0], 0]
            else:
                boxes = boxes[mask]
            scores = scores[mask]
            keep = batched_nms(boxes, scores, inds[:, 1], self.nms_thresh)
            if self.detections_per_image >= 0:
                keep = keep[:self.detections_per_image]
            out.append((boxes[keep], scores[keep], inds[keep][:, 1]))
        return out

    def masks(self, features: List[Tensor], boxes: List[Tensor], classes: Tensor) -> Tensor:
        logits = self.mask_head(pool(features[:4], boxes, self.mask_resolution, self.mask_sampling))
        if self.mask_agnostic:
            return logits[:, 0:1].sigmoid()
        rows = torch.arange(logits.shape[0], device=logits.device)
        return logits[rows, classes][:, None].sigmoid()

    def keypoints(self, features: List[Tensor], boxes: List[Tensor]) -> Tuple[Tensor, Tensor]:
        x = self.keypoint_head(pool(features[:4], boxes, self.keypoint_resolution, self.keypoint_sampling))
        maps = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        return heatmaps_to_keypoints(maps, torch.cat(boxes, dim=0))


class Detectron2RCNN(nn.Module):
    """Detectron2's GeneralizedRCNN inference behind the sparkseg bundle contract (see ``export.py``): RGB 0..1
    images resized by the caller (``input.resize.rule = "detectron2"``), zero-padded, with their sizes; flat
    outputs over the batch, boxes and keypoints in resized-input coordinates, labels = class + 1, the masks as
    28x28 probabilities for ``postprocess = "detectron2"``. ``flip`` is accepted for the call form and must be
    false (no flip test); ``min_score`` drops detections before the mask and keypoint heads."""

    def __init__(self, cfg: dict):
        super().__init__()
        self.backbone = FPN(cfg)
        ch = cfg["MODEL.FPN.OUT_CHANNELS"]
        self.proposal_generator = RPN(cfg, ch)
        self.roi_heads = ROIHeads(cfg, ch)
        self.bgr = cfg["INPUT.FORMAT"] == "BGR"
        self.register_buffer("pixel_mean", torch.tensor(cfg["MODEL.PIXEL_MEAN"], dtype=torch.float32).view(-1, 1, 1),
                             persistent=False)
        self.register_buffer("pixel_std", torch.tensor(cfg["MODEL.PIXEL_STD"], dtype=torch.float32).view(-1, 1, 1),
                             persistent=False)
        self.size_divisibility = 32
        self.mask_on = self.roi_heads.mask_on
        self.keypoint_on = self.roi_heads.keypoint_on
        self.num_keypoints = self.roi_heads.num_keypoints
        self.mask_resolution = 2 * self.roi_heads.mask_resolution

    def forward(self, images: Tensor, sizes: Tensor, flip: Optional[Tensor] = None,
                min_score: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        if flip is not None and bool(flip.reshape(-1)[0]):
            raise ValueError("a converted Detectron2 model has no flip test: pass flip=false")
        floor = 0.0
        if min_score is not None:
            floor = float(min_score.reshape(-1)[0])
        b, _, h, w = images.shape
        x = images.flip(1) if self.bgr else images
        # Detectron2 reads the uint8 image as float: values in 0..255
        x = (x * 255.0 - self.pixel_mean) / self.pixel_std
        sizes = sizes.to(torch.int64)
        rows = torch.arange(h, device=images.device)[None, :, None]
        cols = torch.arange(w, device=images.device)[None, None, :]
        inside = (rows < sizes[:, 0, None, None]) & (cols < sizes[:, 1, None, None])
        x = x * inside[:, None].to(x.dtype)
        d = self.size_divisibility
        x = F.pad(x, (0, (w + d - 1) // d * d - w, 0, (h + d - 1) // d * d - h))
        image_sizes: List[Tuple[int, int]] = []
        for i in range(b):
            image_sizes.append((int(sizes[i, 0]), int(sizes[i, 1])))
        features = self.backbone(x)
        proposals = self.proposal_generator(features, image_sizes)
        dets = self.roi_heads.boxes(features, proposals, image_sizes)
        boxes: List[Tensor] = []
        scores: List[Tensor] = []
        classes: List[Tensor] = []
        index: List[Tensor] = []
        for i, (bx, sc, cl) in enumerate(dets):
            keep = (sc >= floor) & nonempty(bx)
            boxes.append(bx[keep])
            scores.append(sc[keep])
            classes.append(cl[keep])
            index.append(torch.full((int(keep.sum()),), i, dtype=torch.int64, device=x.device))
        all_boxes = torch.cat(boxes) if b > 0 else x.new_zeros((0, 4))
        all_classes = torch.cat(classes) if b > 0 else torch.zeros((0,), dtype=torch.int64, device=x.device)
        n = all_boxes.shape[0]
        m = self.mask_resolution
        k = self.num_keypoints
        if self.mask_on and n > 0:
            masks = self.roi_heads.masks(features, boxes, all_classes)
        else:
            masks = x.new_zeros((n, 1, m, m))
        if self.keypoint_on and n > 0:
            kps, kp_scores = self.roi_heads.keypoints(features, boxes)
        else:
            kps, kp_scores = x.new_zeros((n, k, 3)), x.new_zeros((n, k))
        return (all_boxes, torch.cat(scores) if b > 0 else x.new_zeros((0,)), all_classes + 1, masks, kps,
                kp_scores, torch.cat(index) if b > 0 else torch.zeros((0,), dtype=torch.int64, device=x.device))


def build_model(cfg: dict) -> Detectron2RCNN:
    return Detectron2RCNN(cfg).eval()
