"""The committed bundle reproduces the committed golden outputs when used as the Java side will:
resize with the torchvision rule, run the scripted model, map back, paste masks."""
import json
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision.models.detection.roi_heads import paste_masks_in_image

from sparkseg_models.coco import rle_decode
from sparkseg_models.export import sha256_of
from sparkseg_models.boxes import scale_boxes

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "samples")


def _bundle():
    p = os.path.join(ROOT, "model", "model.json")
    if not os.path.exists(p):
        pytest.skip("no committed bundle")
    return json.load(open(p))


def test_bundle_metadata():
    meta = _bundle()
    assert meta["format"] == "sparkseg-bundle/1"
    pt = os.path.join(ROOT, "model", meta["model_file"])
    assert os.path.getsize(pt) <= 25 * 1024 * 1024
    assert sha256_of(pt) == meta["sha256"]
    assert [c["label"] for c in meta["categories"]] == list(range(1, len(meta["categories"]) + 1))
    person = meta["categories"][0]
    assert person["id"] == 1 and len(person["keypoints"]) == 17 and len(person["sigmas"]) == 17


def test_bundle_reproduces_golden():
    meta = _bundle()
    gdir = os.path.join(ROOT, "golden")
    index = json.load(open(os.path.join(gdir, "index.json")))
    assert index["model_sha256"] == meta["sha256"]
    model = torch.jit.load(os.path.join(ROOT, "model", "model.pt"))
    rs = meta["input"]["resize"]
    for f in index["files"]:
        g = json.load(open(os.path.join(gdir, f["golden"])))
        arr = np.asarray(Image.open(os.path.join(ROOT, "images", g["file_name"])).convert("RGB"))
        h, w = arr.shape[:2]
        x = torch.from_numpy(arr.copy()).permute(2, 0, 1).float() / 255
        scale = torch.min(rs["min_size"] / torch.tensor(float(min(h, w))),
                          rs["max_size"] / torch.tensor(float(max(h, w)))).item()
        xr = F.interpolate(x[None], scale_factor=scale, mode="bilinear", recompute_scale_factor=True,
                           align_corners=False)
        rh, rw = xr.shape[-2:]
        assert [rh, rw] == g["resized"]
        with torch.no_grad():
            boxes, scores, labels, masks, kps, kps_scores, idx = model(xr, torch.tensor([[rh, rw]]))
        keep = scores >= g["score_threshold"]
        boxes, scores, labels, masks, kps = boxes[keep], scores[keep], labels[keep], masks[keep], kps[keep]
        dets = g["detections"]
        assert len(dets) == boxes.shape[0], g["file_name"]
        ratio = torch.tensor([w / rw, h / rh, w / rw, h / rh])
        ob = boxes * ratio
        # the masks cover each box enlarged by the declared factor (1 when absent)
        paste_boxes = scale_boxes(ob, float(meta["output"].get("mask_box_scale", 1.0)))
        pasted = paste_masks_in_image(masks, paste_boxes, (h, w), padding=1) > 0.5
        for i, d in enumerate(dets):
            assert int(labels[i]) == d["label"]
            assert abs(float(scores[i]) - d["score"]) < 1e-3
            assert (ob[i] - torch.tensor(d["box"])).abs().max() < 0.5
            kp = kps[i, :, :2] * torch.tensor([w / rw, h / rh])
            if d["label"] in meta["output"]["keypoint_labels"]:
                assert (kp - torch.tensor([k[:2] for k in d["keypoints"]])).abs().max() < 1.0
            else:   # the bundle runs the keypoint branch on keypoint categories only
                assert (kp == 0).all()
            gm = rle_decode(d["mask"]["counts"], h, w).astype(bool)
            pm = pasted[i, 0].numpy()
            union = (gm | pm).sum()
            if union:
                assert (gm & pm).sum() / union >= 0.98
