"""Reference vectors for the Java pre/post-processing, computed with torch/torchvision themselves.

Writes core/src/test/resources/vectors/{paste,resize}_vectors.json:
- paste: random 28x28 mask probabilities and boxes (tiny to image-sized, at the borders) pasted with torchvision's paste_masks_in_image, thresholded at 0.5, stored as
  column-major run lengths (COCO's uncompressed RLE), with the mean pasted probability of the foreground pixels.
- resize: small random uint8 RGB images resized the way GeneralizedRCNNTransform does
  (float 0..1, F.interpolate bilinear, align_corners=False) to explicit sizes.

Run: /usr/bin/python3 models/tools/make_java_vectors.py  (deterministic, seed 7)
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.models.detection.roi_heads import paste_masks_in_image

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "core", "src", "test", "resources", "vectors")


def runs_colmajor(mask: np.ndarray):
    flat = np.asfortranarray(mask.astype(np.uint8)).flatten(order="F")
    counts, cur, n = [], 0, 0
    for v in flat:
        if v != cur:
            counts.append(n)
            cur, n = v, 0
        n += 1
    counts.append(n)
    return counts


def main():
    torch.manual_seed(7)
    rng = np.random.default_rng(7)
    paste = []
    for i in range(60):
        h, w = int(rng.integers(20, 160)), int(rng.integers(20, 160))
        m = 28
        # smooth-ish probabilities so the 0.5 contour is a real shape, plus pure noise cases
        base = torch.rand(1, 1, 7, 7) if i % 4 else torch.rand(1, 1, 28, 28)
        probs = F.interpolate(base, size=(m, m), mode="bilinear", align_corners=False)[0]
        cx, cy = rng.uniform(-20, w + 20), rng.uniform(-20, h + 20)
        bw, bh = rng.uniform(0.3, 1.5 * w), rng.uniform(0.3, 1.5 * h)
        # the model clips its boxes to the image, so do the same (paste then reaches past it by the padding)
        x1, x2 = np.clip([cx - bw / 2, cx + bw / 2], 0, w)
        y1, y2 = np.clip([cy - bh / 2, cy + bh / 2], 0, h)
        if x2 - x1 < 0.3 or y2 - y1 < 0.3:
            x1, y1, x2, y2 = w / 3, h / 3, w / 3 + 0.5, h / 3 + 0.7
        box = torch.tensor([[x1, y1, x2, y2]], dtype=torch.float32)
        pasted = paste_masks_in_image(probs[None], box, (h, w))[0, 0]
        mask = (pasted > 0.5).numpy()
        fg = pasted.numpy()[mask]
        paste.append({"h": h, "w": w, "m": m, "probs": [float(v) for v in probs.flatten().tolist()],
                      "box": [float(v) for v in box[0].tolist()], "counts": runs_colmajor(mask),
                      "area": int(mask.sum()), "foreground_mean": float(fg.mean()) if fg.size else 0.0})
    resize = []
    for i in range(12):
        h, w = int(rng.integers(5, 40)), int(rng.integers(5, 40))
        oh, ow = int(rng.integers(3, 60)), int(rng.integers(3, 60))
        img = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
        t = torch.from_numpy(img).permute(2, 0, 1).float().div(255)[None]
        out = F.interpolate(t, size=(oh, ow), mode="bilinear", align_corners=False)[0]
        resize.append({"h": h, "w": w, "out_h": oh, "out_w": ow, "rgb": img.flatten().tolist(),
                       "chw": [float(v) for v in out.flatten().tolist()]})
    os.makedirs(OUT, exist_ok=True)
    meta = {"torch": torch.__version__, "generator": "models/tools/make_java_vectors.py", "seed": 7}
    with open(os.path.join(OUT, "paste_vectors.json"), "w") as f:
        json.dump({"meta": meta, "cases": paste}, f)
    with open(os.path.join(OUT, "resize_vectors.json"), "w") as f:
        json.dump({"meta": meta, "cases": resize}, f)
    print("wrote", len(paste), "paste and", len(resize), "resize cases to", os.path.abspath(OUT))


if __name__ == "__main__":
    sys.exit(main())
