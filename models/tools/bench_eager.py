"""Peer benchmark: eager torchvision inference (torch 1.13, native ops) with the bundle's weights.

The images/s to compare sparkseg against: same weights, same images, same thread count.
Weights come from the bundle's TorchScript file (its state_dict has the same keys as the eager
model) and the architecture from model.json's "training.model_config" (or a training checkpoint).

  /usr/bin/python3 models/tools/bench_eager.py --bundle samples/model --images samples/images \
      --num 20 --threads 2 --batch 1 [--flip-test auto|on|off] [--json out.json]
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from sparkseg_models.export import load_bundle_model, load_checkpoint  # noqa: E402


def load_eager(bundle: str, checkpoint: str = None, flip_test: str = "auto"):
    """The eager model; ``flip_test`` on/off overrides the bundle's (or checkpoint's) flip test-time augmentation,
    as sparkseg's --flip-test does."""
    settings = None if flip_test == "auto" else {"flip_test": flip_test == "on"}
    if checkpoint:
        return load_checkpoint(checkpoint, settings)[0]
    try:
        return load_bundle_model(bundle, settings)[0]
    except ValueError as e:
        raise SystemExit(f"{e}; pass --checkpoint")


def loaded_blas() -> str:
    """The BLAS library this process really loaded (Debian's torch links libblas.so.3, whose
    alternative may be the slow reference BLAS or OpenBLAS: a 3x difference for this model)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f
                    if os.path.basename(line.split()[-1]).startswith(("libblas", "libopenblas"))}
    except OSError:
        return "unknown"
    libs = sorted(os.path.realpath(x) for x in libs if x.startswith("/"))
    return ", ".join(libs) or "none found"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--images", required=True)
    ap.add_argument("--num", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--flip-test", choices=("auto", "on", "off"), default="auto",
                    help="flip test-time augmentation of the mask and keypoint heads (auto: the bundle's default)")
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    model = load_eager(a.bundle, a.checkpoint, a.flip_test)
    files = sorted(f for f in os.listdir(a.images) if f.lower().endswith((".jpg", ".jpeg", ".png")))[:a.num]
    tensors = [torch.from_numpy(np.asarray(Image.open(os.path.join(a.images, f)).convert("RGB")).copy())
               .permute(2, 0, 1).float() / 255 for f in files]
    batches = [tensors[i:i + a.batch] for i in range(0, len(tensors), a.batch)]
    with torch.no_grad():
        for b in batches[:a.warmup]:
            model(b)
        t0 = time.perf_counter()
        n = 0
        for b in batches:
            model(b)
            n += len(b)
        dt = time.perf_counter() - t0
    result = {"what": "eager torchvision (torch %s), batch %d" % (torch.__version__, a.batch), "images": n,
              "seconds": dt, "images_per_second": n / dt, "ms_per_image": 1000 * dt / n, "threads": a.threads,
              "blas": loaded_blas(), "flip_test": type(model).__name__ == "FlipTestMaskRCNN"}
    print(json.dumps(result))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
