"""Small COCO-style evaluation (bbox / segm / keypoints AP) for development, numpy only.

It follows pycocotools' COCOeval for the summary AP numbers (IoU thresholds 0.50:0.95, 101 recall
points, maxDets 100 for bbox/segm and 20 for keypoints, area "all", crowd GT handled as ignore regions
with IoU = |dt & gt| / |dt|, keypoint GT with num_keypoints = 0 ignored, stable score sorting, greedy
matching).  It is not a bit-exact port: treat its numbers as close estimates.  The authoritative
evaluator for the project is the Java COCOeval.  Like sparkseg's ``evaluate`` on an instances table,
segm ranks the masks by their mask score (``coco.mask_score``) when the detections carry one.

  /usr/bin/python3 -m sparkseg_models.evaluate --checkpoint runs/main/last.pt --gt ../samples/annotations.json \\
      --images ../samples/images [--limit 100]
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch
from PIL import Image

from .coco import LABEL_TO_CAT_ID, SIGMAS, ann_to_mask, mask_score

IOU_THRS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
REC_THRS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)


def box_iou(d, g, crowd):
    """d: [D,4] xywh, g: [G,4] xywh -> [D,G]"""
    if len(d) == 0 or len(g) == 0:
        return np.zeros((len(d), len(g)))
    d = np.asarray(d, float)
    g = np.asarray(g, float)
    ix1 = np.maximum(d[:, None, 0], g[None, :, 0])
    iy1 = np.maximum(d[:, None, 1], g[None, :, 1])
    ix2 = np.minimum(d[:, None, 0] + d[:, None, 2], g[None, :, 0] + g[None, :, 2])
    iy2 = np.minimum(d[:, None, 1] + d[:, None, 3], g[None, :, 1] + g[None, :, 3])
    inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
    da = d[:, 2] * d[:, 3]
    ga = g[:, 2] * g[:, 3]
    union = np.where(np.asarray(crowd)[None, :], da[:, None], da[:, None] + ga[None, :] - inter)
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def mask_iou(dm, gm, crowd):
    if len(dm) == 0 or len(gm) == 0:
        return np.zeros((len(dm), len(gm)))
    D = np.stack([m.ravel() for m in dm]).astype(np.float32)
    G = np.stack([m.ravel() for m in gm]).astype(np.float32)
    inter = D @ G.T
    da = D.sum(1)
    ga = G.sum(1)
    union = np.where(np.asarray(crowd)[None, :], da[:, None], da[:, None] + ga[None, :] - inter)
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def oks(dkps, gts):
    sig = np.asarray(SIGMAS) * 2
    var = sig ** 2
    out = np.zeros((len(dkps), len(gts)))
    for j, g in enumerate(gts):
        gk = np.asarray(g["keypoints"], float).reshape(-1, 3)
        vis = gk[:, 2] > 0
        x0, y0, w, h = g["bbox"]
        for i, dk in enumerate(dkps):
            dk = np.asarray(dk, float).reshape(-1, 3)
            if vis.sum() > 0:
                dx = dk[:, 0] - gk[:, 0]
                dy = dk[:, 1] - gk[:, 1]
            else:
                bx0, bx1, by0, by1 = x0 - w, x0 + 2 * w, y0 - h, y0 + 2 * h
                dx = np.maximum(0, bx0 - dk[:, 0]) + np.maximum(0, dk[:, 0] - bx1)
                dy = np.maximum(0, by0 - dk[:, 1]) + np.maximum(0, dk[:, 1] - by1)
            e = (dx ** 2 + dy ** 2) / var / (g["area"] + np.spacing(1)) / 2
            if vis.sum() > 0:
                e = e[vis]
            out[i, j] = np.sum(np.exp(-e)) / e.shape[0]
    return out


def evaluate_type(gt_by_img_cat, dt_by_img_cat, cat_ids, iou_type, max_det):
    """Returns AP (mean over categories with GT) and per-category AP."""
    T = len(IOU_THRS)
    per_cat = {}
    for c in cat_ids:
        scores_all, tp_all, ign_all = [], [], []
        npig = 0
        for img in sorted({k[0] for k in gt_by_img_cat} | {k[0] for k in dt_by_img_cat}):
            gts = gt_by_img_cat.get((img, c), [])
            dts = dt_by_img_cat.get((img, c), [])
            g_ign = np.array([bool(g["iscrowd"]) or (iou_type == "keypoints" and g.get("num_keypoints", 0) == 0)
                              for g in gts], bool)
            gorder = np.argsort(g_ign, kind="mergesort")
            gts = [gts[i] for i in gorder]
            g_ign = g_ign[gorder]
            crowd = [bool(g["iscrowd"]) for g in gts]
            npig += int((~g_ign).sum())
            dorder = np.argsort([-d["score"] for d in dts], kind="mergesort")[:max_det]
            dts = [dts[i] for i in dorder]
            if not dts:
                continue
            if iou_type == "bbox":
                ious = box_iou([d["bbox"] for d in dts], [g["bbox"] for g in gts], crowd)
            elif iou_type == "segm":
                ious = mask_iou([d["mask"] for d in dts], [g["mask"] for g in gts], crowd)
            else:
                ious = oks([d["keypoints"] for d in dts], gts)
            dtm = np.zeros((T, len(dts)), bool)
            dti = np.zeros((T, len(dts)), bool)
            for t, thr in enumerate(IOU_THRS):
                gtm = np.zeros(len(gts), bool)
                for di in range(len(dts)):
                    iou = min(thr, 1 - 1e-10)
                    m = -1
                    for gi in range(len(gts)):
                        if gtm[gi] and not crowd[gi]:
                            continue
                        if m > -1 and not g_ign[m] and g_ign[gi]:
                            break
                        if ious[di, gi] < iou:
                            continue
                        iou = ious[di, gi]
                        m = gi
                    if m == -1:
                        continue
                    dti[t, di] = g_ign[m]
                    dtm[t, di] = True
                    gtm[m] = True
            scores_all.append(np.array([d["score"] for d in dts]))
            tp_all.append(dtm)
            ign_all.append(dti)
        if npig == 0:
            continue
        if not scores_all:
            per_cat[c] = 0.0
            continue
        scores = np.concatenate(scores_all)
        order = np.argsort(-scores, kind="mergesort")
        tpm = np.concatenate(tp_all, 1)[:, order]
        igm = np.concatenate(ign_all, 1)[:, order]
        tps = np.logical_and(tpm, ~igm)
        fps = np.logical_and(~tpm, ~igm)
        tp_sum = np.cumsum(tps, 1).astype(float)
        fp_sum = np.cumsum(fps, 1).astype(float)
        aps = []
        for t in range(T):
            tp, fp = tp_sum[t], fp_sum[t]
            rc = tp / npig
            pr = tp / (fp + tp + np.spacing(1))
            q = np.zeros(len(REC_THRS))
            pr = pr.tolist()
            for i in range(len(pr) - 1, 0, -1):
                if pr[i] > pr[i - 1]:
                    pr[i - 1] = pr[i]
            inds = np.searchsorted(rc, REC_THRS, side="left")
            for ri, pi in enumerate(inds):
                if pi < len(pr):
                    q[ri] = pr[pi]
            aps.append(q.mean())
        per_cat[c] = float(np.mean(aps))
    ap = float(np.mean(list(per_cat.values()))) if per_cat else -1.0
    return ap, per_cat


def run_model(model, gt, images_dir, limit=None, log=print):
    dts = []
    imgs = gt["images"][:limit] if limit else gt["images"]
    t0 = time.time()
    with torch.no_grad():
        for n, im in enumerate(imgs):
            arr = np.asarray(Image.open(os.path.join(images_dir, im["file_name"])).convert("RGB"))
            x = torch.from_numpy(arr.copy()).permute(2, 0, 1).float() / 255
            r = model([x])[0]
            for i in range(r["boxes"].shape[0]):
                b = r["boxes"][i].tolist()
                p = r["masks"][i, 0].numpy()
                m = p > 0.5
                d = {"image_id": im["id"], "category_id": LABEL_TO_CAT_ID[int(r["labels"][i])],
                     "score": float(r["scores"][i]), "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]], "mask": m,
                     "mask_score": mask_score(float(r["scores"][i]), p)}
                if "keypoints" in r:
                    kp = r["keypoints"][i].clone()
                    kp[:, 2] = r["keypoints_scores"][i]
                    d["keypoints"] = kp.reshape(-1).tolist()
                dts.append(d)
            if (n + 1) % 50 == 0:
                log(f"  {n + 1}/{len(imgs)} images, {(time.time() - t0) / (n + 1):.2f} s/image")
    return dts, [im["id"] for im in imgs]


def evaluate(gt, dts, image_ids, iou_types=("bbox", "segm", "keypoints")):
    ids = set(image_ids)
    h_w = {im["id"]: (im["height"], im["width"]) for im in gt["images"]}
    gt_map = {}
    for a in gt["annotations"]:
        if a["image_id"] not in ids:
            continue
        a = dict(a)
        if "segm" in iou_types:
            a["mask"] = ann_to_mask(a, *h_w[a["image_id"]]).astype(bool)
        gt_map.setdefault((a["image_id"], a["category_id"]), []).append(a)
    dt_map = {}
    for d in dts:
        dt_map.setdefault((d["image_id"], d["category_id"]), []).append(d)
    cats = sorted({c["id"] for c in gt["categories"]})
    kp_cats = [c["id"] for c in gt["categories"] if c.get("keypoints")]
    res = {}
    if "bbox" in iou_types:
        res["bbox"] = evaluate_type(gt_map, dt_map, cats, "bbox", 100)
    if "segm" in iou_types:
        by_mask = {k: [dict(d, score=d.get("mask_score", d["score"])) for d in v] for k, v in dt_map.items()}
        res["segm"] = evaluate_type(gt_map, by_mask, cats, "segm", 100)
    if "keypoints" in iou_types:
        kdt = {k: v for k, v in dt_map.items() if k[1] in kp_cats}
        res["keypoints"] = evaluate_type(gt_map, kdt, kp_cats, "keypoints", 20)
    return res


def add_data_arguments(ap: argparse.ArgumentParser):
    """--gt, --images, --limit, --threads and --out, as this tool and ``diagnose`` take them."""
    ap.add_argument("--gt", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=None, help="write the numbers as JSON here")


def run_on_data(model, a):
    """(ground truth, detections, image ids) of ``model`` on the images named by ``add_data_arguments``."""
    gt = json.load(open(a.gt))
    dts, ids = run_model(model, gt, a.images, a.limit)
    return gt, dts, ids


def main(argv=None):
    from .export import load_checkpoint
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    add_data_arguments(ap)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    model, ck = load_checkpoint(a.checkpoint)
    gt, dts, ids = run_on_data(model, a)
    res = evaluate(gt, dts, ids)
    summary = {"checkpoint": a.checkpoint, "iteration": ck.get("iteration"), "images": len(ids)}
    for k, (apv, per) in res.items():
        summary[k] = {"AP": round(apv, 4), "per_category": {str(c): round(v, 4) for c, v in per.items()}}
        print(f"{k:9s} AP {apv:.4f}  " + " ".join(f"{c}:{v:.3f}" for c, v in per.items()))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
