"""Reference vectors for the Java side of Detectron2 bundles, computed by PIL and by Detectron2 itself.

Writes core/src/test/resources/vectors/{pil_resize,detectron2_paste}_vectors.json:
- pil_resize: small random uint8 RGB images resized by PIL's Image.resize(..., Image.BILINEAR) (what Detectron2's
  ResizeTransform does to a uint8 image), down, up, one axis only, to explicit sizes; pixels as base64.
- detectron2_paste: random 28x28 mask probabilities and boxes (tiny to image-sized, at the borders) pasted by
  Detectron2's paste_masks_in_image (threshold 0.5) on the CPU, stored as column-major run lengths.

Detectron2 is not part of sparkseg: pass its source tree and the missing packages it imports with --pythonpath
(as for sparkseg_models.golden_detectron2).

Run: /usr/bin/python3 models/tools/make_detectron2_vectors.py --pythonpath D2 FVCORE IOPATH YACS  (seed 11)
"""
import argparse
import base64
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from sparkseg_models.coco import rle_encode  # noqa: E402
from sparkseg_models.golden_detectron2 import _import_detectron2  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "core", "src", "test", "resources", "vectors")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pythonpath", nargs="+", required=True)
    a = ap.parse_args()
    _import_detectron2(a.pythonpath)
    from detectron2.layers.mask_ops import paste_masks_in_image
    rng = np.random.default_rng(11)
    resize = []
    for w, h, ow, oh in [(37, 23, 20, 13), (37, 23, 50, 31), (37, 23, 37, 40), (37, 23, 15, 23), (41, 29, 64, 9),
                         (64, 48, 21, 47), (120, 90, 37, 28), (13, 17, 13, 17)]:
        img = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
        out = np.asarray(Image.fromarray(img).resize((ow, oh), Image.BILINEAR))
        resize.append({"width": w, "height": h, "out_width": ow, "out_height": oh,
                       "rgb": base64.b64encode(img.tobytes()).decode(), "out": base64.b64encode(out.tobytes()).decode()})
    paste = []
    for _ in range(40):
        h, w = int(rng.integers(20, 160)), int(rng.integers(20, 160))
        probs = torch.from_numpy(rng.random((28, 28), dtype=np.float32))
        x0, y0 = float(rng.uniform(-10, w)), float(rng.uniform(-10, h))
        bw, bh = float(rng.uniform(0.5, w)), float(rng.uniform(0.5, h))
        box = [max(x0, 0.0), max(y0, 0.0), min(x0 + bw, float(w)), min(y0 + bh, float(h))]
        if box[2] <= box[0] or box[3] <= box[1]:
            continue
        mask = paste_masks_in_image(probs[None], torch.tensor([box]), (h, w), threshold=0.5)[0].numpy()
        paste.append({"height": h, "width": w, "box": box, "probs": probs.flatten().tolist(),
                      "counts": rle_encode(mask)})
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "pil_resize_vectors.json"), "w") as f:
        json.dump(resize, f)
    with open(os.path.join(OUT, "detectron2_paste_vectors.json"), "w") as f:
        json.dump(paste, f)
    print(f"{len(resize)} resize and {len(paste)} paste vectors")


if __name__ == "__main__":
    main()
