"""Golden outputs of EAGER torchvision inference for the Java parity test.

The weights of the bundle's model.pt (``--checkpoint``, when given, must hold the same ones) are loaded into the plain torchvision
model (native torchvision ops, no patching), and the standard ``model([image])`` is run on the original image: ``model.transform``
normalizes, resizes with the torchvision rule (min_size/max_size of the bundle), pads, and
``postprocess`` maps boxes/keypoints back to the original size and pastes the 28x28 masks
(``paste_masks_in_image``; into the boxes enlarged by the model's ``head_box_scale``, see
``heads.MarginTransform``); a bundle exported with ``flip_test`` runs its mask and keypoint heads on the mirrored
image too (``tta.FlipTestMaskRCNN``).  Each image gets ``<stem>.json``::

  {"file_name", "width", "height", "resized": [h, w], "model_sha256", "score_threshold",
   "mask_threshold": 0.5, "detections": [{"label", "category_id", "score", "box": [x1,y1,x2,y2],
   "keypoints": [[x, y, score] x K], "mask": {"size": [h, w], "counts": [uncompressed column-major RLE
   of (pasted probability > 0.5)]}, "mask_score": score x mean foreground probability}]}

  /usr/bin/python3 -m sparkseg_models.golden --bundle ../samples/model \\
      --images ../samples/images --out ../samples/golden --num 5 [--checkpoint runs/main/last.pt]
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import torch
from PIL import Image

from .coco import mask_score, rle_encode
from .tta import FlipTestMaskRCNN


def golden_for_image(model, path, label_to_cat, score_threshold=0.05, mask_threshold=0.5):
    arr = np.asarray(Image.open(path).convert("RGB"))
    h, w = arr.shape[:2]
    x = torch.from_numpy(arr.copy()).permute(2, 0, 1).float() / 255
    with torch.no_grad():
        il, _ = model.transform([x])
        r = model([x])[0]
    dets = []
    for i in range(r["boxes"].shape[0]):
        s = float(r["scores"][i])
        if s < score_threshold:
            continue
        lab = int(r["labels"][i])
        d = {"label": lab, "category_id": label_to_cat[lab], "score": s,
             "box": [float(v) for v in r["boxes"][i].tolist()]}
        if "keypoints" in r:
            kp = r["keypoints"][i]
            ks = r["keypoints_scores"][i]
            d["keypoints"] = [[float(kp[j, 0]), float(kp[j, 1]), float(ks[j])] for j in range(kp.shape[0])]
        if "masks" in r:
            m = (r["masks"][i, 0] > mask_threshold).numpy()
            d["mask"] = {"size": [h, w], "counts": rle_encode(m)}
            d["mask_score"] = mask_score(s, r["masks"][i, 0].numpy(), mask_threshold)
        dets.append(d)
    return {"file_name": os.path.basename(path), "width": w, "height": h,
            "resized": [int(v) for v in il.image_sizes[0]], "score_threshold": score_threshold,
            "mask_threshold": mask_threshold, "detections": dets}


def weights_differing(a, b) -> list:
    """Names of the state_dict entries in which two models differ (missing on one side, or other values)."""
    sa, sb = a.state_dict(), b.state_dict()
    return sorted(k for k in set(sa) | set(sb) if k not in sa or k not in sb or not torch.equal(sa[k], sb[k]))


def main(argv=None):
    from .export import load_bundle_model, load_checkpoint, mask_box_scales_of
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None,
                    help="training checkpoint the bundle was exported from: checked to hold the bundle's weights")
    ap.add_argument("--bundle", required=True, help="bundle folder or zip (the weights come from its model.pt)")
    ap.add_argument("--images", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--num", type=int, default=5)
    ap.add_argument("--files", nargs="*", default=None)
    ap.add_argument("--score-threshold", type=float, default=0.05)
    a = ap.parse_args(argv)
    torch.set_num_threads(2)
    model, meta = load_bundle_model(a.bundle)      # a folder or a zip of one
    if a.checkpoint:
        # the goldens carry the bundle's sha256: a checkpoint whose weights differ would make them lie
        ckpt, _ = load_checkpoint(a.checkpoint)
        differ = weights_differing(model, ckpt)
        if differ:
            raise SystemExit(f"{a.checkpoint} is not the checkpoint {a.bundle} was exported from: "
                             f"{len(differ)} tensors differ, e.g. {differ[:3]}")
    rs = meta["input"]["resize"]
    assert model.transform.min_size == (rs["min_size"],) and model.transform.max_size == rs["max_size"], \
        "eager transform must use the bundle's resize"
    assert list(model.transform.image_mean) == meta["input"]["normalization"]["mean"]
    assert list(model.transform.image_std) == meta["input"]["normalization"]["std"]
    paste_scale = float(meta["output"].get("mask_box_scale", 1.0))
    assert mask_box_scales_of(model)[0] == paste_scale, \
        "eager masks must be pasted into the box the bundle declares (output.mask_box_scale)"
    label_to_cat = {c["label"]: c["id"] for c in meta["categories"]}
    files = a.files or sorted(os.listdir(a.images))[:a.num]
    os.makedirs(a.out, exist_ok=True)
    index = []
    for f in files:
        g = golden_for_image(model, os.path.join(a.images, f), label_to_cat, a.score_threshold)
        g["model_sha256"] = meta["sha256"]
        stem = os.path.splitext(f)[0]
        with open(os.path.join(a.out, stem + ".json"), "w") as fh:
            json.dump(g, fh, separators=(",", ":"))
        index.append({"file_name": f, "golden": stem + ".json", "detections": len(g["detections"])})
        print(f"{f}: {len(g['detections'])} detections")
    with open(os.path.join(a.out, "index.json"), "w") as fh:
        json.dump({"model_sha256": meta["sha256"], "images_dir": "samples/images", "files": index,
                   "how": "eager torchvision model(images) with native ops, model.transform resize "
                          f"min_size={rs['min_size']} max_size={rs['max_size']}, masks pasted by torchvision "
                          f"into the boxes enlarged {paste_scale:g}x and thresholded > 0.5"
                          + ("; flip test: mask and keypoint heads also on the mirrored image (FlipTestMaskRCNN)"
                             if isinstance(model, FlipTestMaskRCNN) else "")}, fh, indent=2)


if __name__ == "__main__":
    main()
