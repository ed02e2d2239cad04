"""Where a model loses AP: box, mask-head and keypoint errors per category / per keypoint (development tool).

For every non-crowd ground-truth instance it takes the detection of the same category with the highest box
IoU (no one-to-one matching: this describes errors, it does not score them; COCO AP is ``evaluate``'s job)
and reports, per category:

* ``found``: the share of GT with such a detection at box IoU >= 0.5; for those:
* ``box_iou``: mean box IoU;
* ``mask_iou``: mean IoU of the predicted (thresholded) mask with the GT mask;
* ``oracle_pred_box``: the mean IoU that a perfect mask head would reach in the *predicted* box: the GT mask
  resampled to the head's resolution inside that box (RoIAlign, as the training targets are made) and pasted
  back as torchvision pastes predictions. ``oracle_pred_box - mask_iou`` is what the mask head loses;
* ``oracle_gt_box``: the same inside the GT box (the resolution cap alone).

Both oracles use the box the model's heads actually work in: the box enlarged by its ``head_box_scale``
(``box_scale``; 1 for torchvision's heads).

And per keypoint (persons found at box IoU >= 0.5): the median error in units of sqrt(GT area) and the share
of labelled points whose OKS term is below 0.5 (gross misses). Of the gross misses, the shares that

* ``hidden``: are labelled but not visible (v=1: occluded, the head has to guess);
* ``swapped``: lie within OKS 0.5 of the same person's mirror keypoint (left for right);
* ``other_person``: lie within OKS 0.5 of the same keypoint of another person in the image.

  /usr/bin/python3 -m sparkseg_models.diagnose --bundle ../samples/model --gt ../samples/annotations.json \\
      --images ../samples/images --limit 100
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch
from torchvision.models.detection.roi_heads import paste_masks_in_image
from torchvision.ops import roi_align

from .boxes import scale_boxes
from .coco import FLIP_INDEX, KEYPOINT_NAMES, SIGMAS, ann_to_mask
from .evaluate import add_data_arguments, box_iou, run_on_data


def resampled_mask_iou(gt_mask: np.ndarray, box_xyxy, resolution: int = 28) -> float:
    """IoU with ``gt_mask`` of the GT mask resampled to ``resolution``² inside ``box_xyxy`` and pasted back
    (thresholded at 0.5): the best a mask head of that resolution can do in that box."""
    h, w = gt_mask.shape
    m = torch.from_numpy(gt_mask.astype(np.float32))[None, None]
    box = torch.tensor([list(map(float, box_xyxy))])
    small = roi_align(m, [box], (resolution, resolution), 1.0)
    pasted = paste_masks_in_image(small, box, (h, w))[0, 0].numpy() > 0.5
    return _iou(pasted, gt_mask > 0)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def _xyxy(xywh):
    return [xywh[0], xywh[1], xywh[0] + xywh[2], xywh[1] + xywh[3]]


def _head_box(xywh, scale: float):
    """The xyxy box, enlarged ``scale`` times about its centre, that a model's heads see for box ``xywh``."""
    return scale_boxes(torch.tensor([_xyxy(xywh)], dtype=torch.float64), scale)[0].tolist()


def diagnose(gt: dict, dts: list, image_ids, mask_resolution: int = 28, box_scale: float = 1.0) -> dict:
    """Per-category and per-keypoint error summary of detections ``dts`` (``evaluate.run_model``'s format:
    xywh ``bbox``, boolean full-image ``mask``, flat ``keypoints``) against COCO ground truth ``gt``; the
    oracles resample in boxes enlarged ``box_scale`` times, as the model's heads work."""
    ids = set(image_ids)
    hw = {im["id"]: (im["height"], im["width"]) for im in gt["images"]}
    names = {c["id"]: c["name"] for c in gt["categories"]}
    dt_by = {}
    for d in dts:
        dt_by.setdefault((d["image_id"], d["category_id"]), []).append(d)
    rows = {}
    kp_err = [[] for _ in KEYPOINT_NAMES]
    kp_low = [[] for _ in KEYPOINT_NAMES]
    kp_why = [{"hidden": 0, "swapped": 0, "other_person": 0} for _ in KEYPOINT_NAMES]
    var = (np.asarray(SIGMAS) * 2) ** 2
    people = {}
    for a in gt["annotations"]:
        if a.get("num_keypoints", 0) > 0 and not a.get("iscrowd"):
            people.setdefault(a["image_id"], []).append(a)

    def oks_term(p, q, k, area):
        d2 = (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2
        return np.exp(-d2 / var[k] / (area + np.spacing(1)) / 2)
    for a in gt["annotations"]:
        if a["image_id"] not in ids or a.get("iscrowd"):
            continue
        row = rows.setdefault(a["category_id"], {"n": 0, "found": 0, "box_iou": [], "mask_iou": [],
                                                 "oracle_pred_box": [], "oracle_gt_box": []})
        row["n"] += 1
        cands = dt_by.get((a["image_id"], a["category_id"]), [])
        if not cands:
            continue
        ious = box_iou([d["bbox"] for d in cands], [a["bbox"]], [False])[:, 0]
        best = int(np.argmax(ious))
        if ious[best] < 0.5:
            continue
        d = cands[best]
        row["found"] += 1
        row["box_iou"].append(float(ious[best]))
        if "mask" in d:
            gm = ann_to_mask(a, *hw[a["image_id"]]) > 0
            row["mask_iou"].append(_iou(d["mask"], gm))
            row["oracle_pred_box"].append(resampled_mask_iou(gm, _head_box(d["bbox"], box_scale), mask_resolution))
            row["oracle_gt_box"].append(resampled_mask_iou(gm, _head_box(a["bbox"], box_scale), mask_resolution))
        if "keypoints" in d and a.get("num_keypoints", 0) > 0:
            g = np.asarray(a["keypoints"], float).reshape(-1, 3)
            p = np.asarray(d["keypoints"], float).reshape(-1, 3)
            scale = np.sqrt(a["area"])
            others = [np.asarray(o["keypoints"], float).reshape(-1, 3) for o in people.get(a["image_id"], [])
                      if o is not a]
            for k in range(min(len(g), len(KEYPOINT_NAMES))):
                if g[k, 2] > 0:
                    kp_err[k].append(np.hypot(p[k, 0] - g[k, 0], p[k, 1] - g[k, 1]) / scale)
                    low = oks_term(p[k], g[k], k, a["area"]) < 0.5
                    kp_low[k].append(low)
                    if not low:
                        continue
                    why = kp_why[k]
                    why["hidden"] += int(g[k, 2] == 1)
                    m = FLIP_INDEX[k]
                    why["swapped"] += int(m != k and g[m, 2] > 0 and oks_term(p[k], g[m], k, a["area"]) >= 0.5)
                    why["other_person"] += int(any(o[k, 2] > 0 and oks_term(p[k], o[k], k, a["area"]) >= 0.5
                                                   for o in others))
    out = {"categories": {}, "keypoints": {}}
    for c, r in sorted(rows.items()):
        out["categories"][names.get(c, str(c))] = {
            "n": r["n"], "found": round(r["found"] / r["n"], 3) if r["n"] else 0.0,
            **{k: round(float(np.mean(r[k])), 3) if r[k] else None
               for k in ("box_iou", "mask_iou", "oracle_pred_box", "oracle_gt_box")}}
    for k, name in enumerate(KEYPOINT_NAMES):
        if kp_err[k]:
            misses = int(np.sum(kp_low[k]))
            out["keypoints"][name] = {"n": len(kp_err[k]), "median_error": round(float(np.median(kp_err[k])), 4),
                                      "oks_below_half": round(float(np.mean(kp_low[k])), 3),
                                      **{why: round(c / misses, 3) if misses else None
                                         for why, c in kp_why[k].items()}}
    return out


def main(argv=None):
    from .export import head_box_scale_of, load_bundle_model, load_checkpoint
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--bundle", help="a sparkseg bundle folder or zip")
    src.add_argument("--checkpoint", help="a training checkpoint")
    add_data_arguments(ap)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    model = (load_bundle_model(a.bundle) if a.bundle else load_checkpoint(a.checkpoint))[0]
    gt, dts, ids = run_on_data(model, a)
    res = diagnose(gt, dts, ids, box_scale=head_box_scale_of(model))
    print(f"{'category':10s} {'n':>4s} {'found':>6s} {'box_iou':>8s} {'mask_iou':>9s} {'oracle(pred box)':>17s} "
          f"{'oracle(gt box)':>15s}")
    for name, r in res["categories"].items():
        cells = [f"{r[k]:.3f}" if r[k] is not None else "-" for k in ("box_iou", "mask_iou", "oracle_pred_box",
                                                                     "oracle_gt_box")]
        print(f"{name:10s} {r['n']:4d} {r['found']:6.2f} {cells[0]:>8s} {cells[1]:>9s} {cells[2]:>17s} {cells[3]:>15s}")
    print(f"\n{'keypoint':15s} {'n':>4s} {'median err/sqrt(area)':>22s} {'OKS term < 0.5':>15s}   of those: "
          f"{'hidden':>7s} {'swapped':>8s} {'other person':>13s}")
    for name, r in res["keypoints"].items():
        why = [f"{r[k]:.2f}" if r[k] is not None else "-" for k in ("hidden", "swapped", "other_person")]
        print(f"{name:15s} {r['n']:4d} {r['median_error']:22.3f} {r['oks_below_half']:15.2f}             "
              f"{why[0]:>7s} {why[1]:>8s} {why[2]:>13s}")
    if a.out:
        with open(a.out, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
