"""Latency of a bundle's scripted model in Python (CPU), batch of one validation image.

  /usr/bin/python3 -m sparkseg_models.bench --bundle ../samples/model --images ../samples/images --threads 2
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--num", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    meta = json.load(open(os.path.join(a.bundle, "model.json")))
    rs = meta["input"]["resize"]
    model = torch.jit.load(os.path.join(a.bundle, meta["model_file"]))
    files = sorted(os.listdir(a.images))[:a.num]
    inputs = []
    for f in files:
        arr = np.asarray(Image.open(os.path.join(a.images, f)).convert("RGB"))
        h, w = arr.shape[:2]
        x = torch.from_numpy(arr.copy()).permute(2, 0, 1).float() / 255
        s = torch.min(rs["min_size"] / torch.tensor(float(min(h, w))), rs["max_size"] / torch.tensor(float(max(h, w))))
        xr = F.interpolate(x[None], scale_factor=s.item(), mode="bilinear", recompute_scale_factor=True,
                           align_corners=False)
        inputs.append((xr, torch.tensor([list(xr.shape[-2:])])))
    with torch.no_grad():
        for x, sz in inputs[:3]:
            model(x, sz)
        times, dets = [], 0
        for x, sz in inputs:
            t = time.perf_counter()
            out = model(x, sz)
            times.append(time.perf_counter() - t)
            dets += int((out[1] >= meta["thresholds"]["score"]).sum())
    times = np.asarray(times) * 1000
    print(f"{len(times)} images, threads {a.threads}: mean {times.mean():.0f} ms, median {np.median(times):.0f} ms, "
          f"min {times.min():.0f} ms; {dets / len(times):.1f} detections/image above score threshold; "
          f"model.pt {os.path.getsize(os.path.join(a.bundle, meta['model_file'])) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
