"""Golden outputs of Detectron2's own eager inference for the Detectron2 parity test (run once, by hand).

Detectron2 is not part of sparkseg: give its source tree (and those of the packages it needs that the machine
lacks, e.g. fvcore, iopath, yacs) with ``--pythonpath``. Its ``_C`` extension is not needed: the R-CNN inference
path calls torchvision's nms / roi_align. Modules it imports only for training or polygon masks (aiofiles,
pycocotools) are replaced by empty ones when missing.

The weights are the recipe's (``detectron2_weights``), written as a model-zoo ``.pkl`` and loaded by
Detectron2's ``DetectionCheckpointer`` (then checked tensor by tensor against the recipe). Each image runs through
``DefaultPredictor`` exactly as a Detectron2 user runs it (BGR array in, ``ResizeShortestEdge`` with PIL, the
model, ``detector_postprocess`` with ``paste_masks_in_image``), with the config ``--config`` (dotted keys, applied
one by one to ``get_cfg()``). Each image gets ``<stem>.json`` in golden.py's format (label = class + 1,
category_id from ``--categories``, masks as uncompressed RLE of Detectron2's boolean masks, keypoints as
(x, y, score)) and ``index.json`` records the recipe's weights hash, the config and Detectron2's commit.

  /usr/bin/python3 -m sparkseg_models.golden_detectron2 --config ../samples/golden-detectron2/config.json \\
      --categories categories/coco_detectron2.json --images ../samples/images \\
      --files val_000000.jpg val_000004.jpg val_000005.jpg --out ../samples/golden-detectron2 \\
      --pythonpath /path/to/detectron2 /path/to/fvcore /path/to/iopath /path/to/yacs
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import types

import numpy as np
import torch
from PIL import Image

from .detectron2_config import load_config
from . import detectron2_weights as recipe
from .coco import rle_encode
from .export import load_categories_file


def _import_detectron2(paths):
    sys.path[:0] = [os.path.abspath(p) for p in paths]
    for name in ("aiofiles", "pycocotools", "pycocotools.mask", "pycocotools.coco", "pycocotools.cocoeval"):
        try:
            importlib.import_module(name)
        except ImportError:
            stub = types.ModuleType(name)
            stub.__path__ = []   # a package, for the submodules
            # any name imported from it is a placeholder class: only training and evaluation would call them
            stub.__getattr__ = lambda attr, _n=name: type(attr, (), {"__module__": _n})
            sys.modules[name] = stub
    from detectron2.config import get_cfg
    from detectron2.engine import DefaultPredictor
    return get_cfg, DefaultPredictor


def _set(cfg, key, value):
    node = cfg
    parts = key.split(".")
    for p in parts[:-1]:
        node = node[p]
    old = node[parts[-1]]
    if isinstance(old, tuple) and isinstance(value, list):
        value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
    node[parts[-1]] = value


def _commit(paths):
    for p in paths:
        if os.path.isdir(os.path.join(p, "detectron2")):
            try:
                return subprocess.run(["git", "-C", p, "rev-parse", "HEAD"], capture_output=True, text=True,
                                      check=True).stdout.strip()
            except (OSError, subprocess.CalledProcessError):
                return "unknown (not a git checkout)"
    return "unknown"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="JSON of dotted Detectron2 config keys")
    ap.add_argument("--categories", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--files", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--pythonpath", nargs="+", required=True, help="Detectron2's source tree and its missing deps")
    ap.add_argument("--commit", default=None, help="Detectron2 commit to record (default: git rev-parse)")
    a = ap.parse_args(argv)
    torch.set_num_threads(2)
    get_cfg, DefaultPredictor = _import_detectron2(a.pythonpath)
    with open(a.config) as f:
        keys = {k: v for k, v in json.load(f).items() if not k.startswith("_")}
    ours = load_config(a.config)
    state = recipe.make_weights(ours)
    sha = recipe.state_sha256(state)
    cats = load_categories_file(a.categories)
    label_to_cat = {c["label"]: c["id"] for c in cats}
    with tempfile.TemporaryDirectory() as tmp:
        pkl = os.path.join(tmp, "recipe.pkl")
        recipe.save(state, pkl=pkl)
        cfg = get_cfg()
        for k, v in keys.items():
            _set(cfg, k, v)
        cfg.MODEL.WEIGHTS = pkl
        cfg.MODEL.DEVICE = "cpu"
        cfg.freeze()
        predictor = DefaultPredictor(cfg)
    loaded = predictor.model.state_dict()
    differ = [k for k, v in state.items() if k not in loaded or not torch.equal(loaded[k], v)]
    extra = [k for k in loaded if k not in state and not k.startswith("proposal_generator.anchor_generator")]
    if differ or extra:
        raise SystemExit(f"Detectron2 did not load the recipe's weights: differing {differ[:5]}, "
                         f"not in the recipe {extra[:5]}")
    os.makedirs(a.out, exist_ok=True)
    index = []
    for name in a.files:
        rgb = np.asarray(Image.open(os.path.join(a.images, name)).convert("RGB"))
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        h, w = bgr.shape[:2]
        t = predictor.aug.get_transform(bgr)
        start = time.time()
        inst = predictor(bgr)["instances"]
        took = time.time() - start
        dets = []
        for i in range(len(inst)):
            cls = int(inst.pred_classes[i])
            det = {"label": cls + 1, "category_id": label_to_cat[cls + 1], "score": float(inst.scores[i]),
                   "box": [float(v) for v in inst.pred_boxes.tensor[i].tolist()]}
            if inst.has("pred_masks"):
                det["mask"] = {"size": [h, w], "counts": rle_encode(inst.pred_masks[i].numpy())}
            if inst.has("pred_keypoints"):
                det["keypoints"] = [[float(v) for v in kp] for kp in inst.pred_keypoints[i].tolist()]
            dets.append(det)
        golden = {"file_name": name, "width": w, "height": h, "resized": [int(t.new_h), int(t.new_w)],
                  "score_threshold": float(cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST), "mask_threshold": 0.5,
                  "weights_sha256": sha, "detections": dets}
        stem = os.path.splitext(name)[0]
        with open(os.path.join(a.out, stem + ".json"), "w") as f:
            json.dump(golden, f, separators=(",", ":"))
        index.append({"file_name": name, "golden": stem + ".json", "detections": len(dets),
                      "detectron2_seconds": round(took, 2)})
        print(f"{name}: {len(dets)} detections in {took:.1f} s")
    with open(os.path.join(a.out, "index.json"), "w") as f:
        json.dump({"weights_sha256": sha, "weights_recipe": "sparkseg_models.detectron2_weights.make_weights",
                   "seed": recipe.SEED, "config": os.path.basename(a.config),
                   "categories": os.path.relpath(os.path.abspath(a.categories), os.path.abspath(os.path.join(a.out, "..", ".."))),
                   "images_dir": "samples/images", "detectron2_commit": a.commit or _commit(a.pythonpath),
                   "torch": torch.__version__, "files": index,
                   "how": "Detectron2 DefaultPredictor (BGR input, ResizeShortestEdge with PIL bilinear, "
                          "detector_postprocess, paste_masks_in_image >= 0.5) on the recipe's weights loaded "
                          "from a model-zoo style .pkl by DetectionCheckpointer; torchvision's native nms / "
                          "roi_align"}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
