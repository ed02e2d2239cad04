"""GPU check of a sparkseg bundle with Python PyTorch alone (no JDK, no network): loads ``model.pt`` with
``torch.jit.load``, runs it on CUDA at batch 1/4/8 in fp32 and fp16, checks every run's detections against the
model's float32 output on the CPU (same labels, box corners within 1 px in image coordinates, mask IoU >= 0.95 on
the mask grid), and prints images/s per precision and batch size, for the embedded bundle and for a ResNet-50
Mask R-CNN converted with the repository's exporter from random weights (built here: its 170 MB are not carried).

fp16 runs the bundle's fp16 variant (model.json ``precisions.fp16``); a bundle without one gets it made now by
``sparkseg_models.precision`` when the repository's exporter can run here (it needs torchvision), else fp16 is
skipped and said so. A GPU machine without torchvision can be handed a bundle that has it, made on any machine
with the exporter's Python (about 28 MB for the embedded bundle)::

  cd models && python3 -m sparkseg_models.precision --bundle ../samples/model --precision fp16 --out /tmp/gpu-bundle

Usage (from the repository root)::

  python3 models/tools/gpu_check.py                       # CUDA: embedded bundle + ResNet-50, fp32 and fp16
  python3 models/tools/gpu_check.py --bundle /tmp/gpu-bundle --no-resnet50
  python3 models/tools/gpu_check.py --dry-run             # CPU only, tiny batches: checks the script itself

Exit status: 0 when every run that ran passed its parity check, 1 when one failed or errored, 2 when the GPU
(CUDA) is missing outside --dry-run. What was skipped, and why, is printed (and in --json).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
MODELS = os.path.join(REPO, "models")

BOX_PX = 1.0        # box corners, image coordinates
MASK_IOU = 0.95     # on the model's mask grid, masks of at least TINY_MASK cells
TINY_MASK = 20
MARGIN = 0.02       # detections this close to the score threshold may fall on either side of it


# ---------------------------------------------------------------- images
def read_rgb(path: str) -> torch.Tensor:
    """float32 [3,H,W] in 0..1."""
    try:
        from PIL import Image
        import numpy as np
        a = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
        return torch.from_numpy(a).permute(2, 0, 1).contiguous()
    except ImportError:
        from torchvision.io import ImageReadMode, read_image
        return read_image(path, ImageReadMode.RGB).float() / 255.0


def resize(img: torch.Tensor, min_size: int, max_size: int) -> Tuple[torch.Tensor, float]:
    """The bundle's resize rule (model.json input.resize.formula): float32 scale, floor of the side times it."""
    h, w = img.shape[-2:]
    scale = float(torch.tensor(min(min_size / float(torch.tensor(float(min(h, w)))),
                                   max_size / float(torch.tensor(float(max(h, w))))), dtype=torch.float32))
    oh, ow = int(math.floor(h * scale)), int(math.floor(w * scale))
    out = F.interpolate(img[None], size=(oh, ow), mode="bilinear", align_corners=False)[0]
    return out, scale


def batch_of(images: List[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
    """Zero-padded batch and its true sizes, as the Java side hands them to the model."""
    h = max(i.shape[1] for i in images)
    w = max(i.shape[2] for i in images)
    x = torch.zeros(len(images), 3, h, w)
    for k, i in enumerate(images):
        x[k, :, :i.shape[1], :i.shape[2]] = i
    return x, torch.tensor([[i.shape[1], i.shape[2]] for i in images], dtype=torch.int64)


# ---------------------------------------------------------------- model calls
class Runner:
    """A loaded bundle model on one device, called as the Java predictor calls it (flip default, min_score)."""

    def __init__(self, path: str, meta: dict, device: str):
        self.module = torch.jit.load(path, map_location="cpu").eval().to(device)
        self.device = device
        optional = meta["input"].get("optional_inputs", {})
        self.flip = bool(meta.get("test_time", {}).get("flip", False)) if "flip" in optional else None
        self.min_score = float(meta.get("thresholds", {}).get("score", 0.5)) if "min_score" in optional else None

    def __call__(self, x: torch.Tensor, sizes: torch.Tensor):
        args = [x.to(self.device), sizes.to(self.device)]
        if self.flip is not None:
            args.append(torch.tensor([self.flip], device=self.device))
            if self.min_score is not None:
                args.append(torch.tensor([self.min_score - MARGIN], device=self.device))
        with torch.no_grad():
            out = self.module(*args)
        return [t.cpu() for t in out]


def per_image(out, n: int) -> List[Dict[str, torch.Tensor]]:
    boxes, scores, labels, masks = out[0], out[1], out[2], out[3]
    index = out[6]
    return [{"boxes": boxes[index == i], "scores": scores[index == i], "labels": labels[index == i],
             "masks": masks[index == i]} for i in range(n)]


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    area_a = (a[:, 2] - a[:, 0]).clamp(min=0) * (a[:, 3] - a[:, 1]).clamp(min=0)
    area_b = (b[:, 2] - b[:, 0]).clamp(min=0) * (b[:, 3] - b[:, 1]).clamp(min=0)
    lt = torch.max(a[:, None, :2], b[None, :, :2])
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    return inter / (area_a[:, None] + area_b[None, :] - inter).clamp(min=1e-9)


def compare(ref: Dict[str, torch.Tensor], got: Dict[str, torch.Tensor], scale: float, cut: float) -> dict:
    """Parity of one image's detections against the CPU float32 reference; problems listed, worst values kept."""
    problems: List[str] = []
    keep = ref["scores"] >= cut + MARGIN
    worst_px, worst_iou, compared = 0.0, 1.0, 0
    free = torch.ones(len(got["boxes"]), dtype=torch.bool)
    ious = box_iou(ref["boxes"], got["boxes"]) if len(got["boxes"]) else None
    for i in torch.nonzero(keep).flatten().tolist():
        if ious is None:
            problems.append(f"no detection for reference box {ref['boxes'][i].tolist()}")
            continue
        row = torch.where(free, ious[i], torch.zeros_like(ious[i]))
        j = int(row.argmax())
        if float(row[j]) < 0.5:
            problems.append(f"no detection for reference box {ref['boxes'][i].tolist()}")
            continue
        free[j] = False
        compared += 1
        if int(ref["labels"][i]) != int(got["labels"][j]):
            problems.append(f"label {int(got['labels'][j])} where the reference has {int(ref['labels'][i])}")
        px = float((ref["boxes"][i] - got["boxes"][j]).abs().max()) / scale
        worst_px = max(worst_px, px)
        if px > BOX_PX:
            problems.append(f"box corners {px:.2f} px apart")
        ma, mb = ref["masks"][i, 0] > 0.5, got["masks"][j, 0] > 0.5
        if max(int(ma.sum()), int(mb.sum())) >= TINY_MASK:
            iou = float((ma & mb).sum()) / max(1, int((ma | mb).sum()))
            worst_iou = min(worst_iou, iou)
            if iou < MASK_IOU:
                problems.append(f"mask IoU {iou:.3f}")
    return {"compared": compared, "worst_box_px": worst_px, "worst_mask_iou": worst_iou, "problems": problems}


def measure(runner: Runner, images: List[torch.Tensor], batch: int, iters: int, warmup: int) -> float:
    """images/s over ``iters`` batches (cycling the images) after ``warmup`` unmeasured ones."""
    batches = [batch_of([images[(k * batch + i) % len(images)] for i in range(batch)]) for k in range(iters)]
    cuda = runner.device.startswith("cuda")
    for k in range(warmup):
        runner(*batches[k % len(batches)])
    if cuda:
        torch.cuda.synchronize()
    t = time.perf_counter()
    for x, s in batches:
        runner(x, s)
    if cuda:
        torch.cuda.synchronize()
    return batch * iters / (time.perf_counter() - t)


# ---------------------------------------------------------------- bundles
def load_meta(bundle: str) -> dict:
    with open(os.path.join(bundle, "model.json")) as f:
        return json.load(f)


def exporter():
    """The repository's ``sparkseg_models`` package, or the reason it cannot be used here."""
    if MODELS not in sys.path:
        sys.path.insert(0, MODELS)
    try:
        import sparkseg_models.precision as precision  # noqa: F401 (needs torchvision)
        import sparkseg_models.export as export
        return export, precision, None
    except Exception as e:  # ImportError, or an API this torch/torchvision lacks
        return None, None, f"{type(e).__name__}: {e}"


def fp16_file(bundle: str, work: str, eager=None) -> Tuple[Optional[str], Optional[dict], str]:
    """(the fp16 model file, its bundle's model.json, where it came from) or (None, None, why not); ``eager``: the
    bundle's eager model where the caller has it (a converted checkpoint's bundle does not record its build)."""
    meta = load_meta(bundle)
    v = meta.get("precisions", {}).get("fp16")
    if v:
        return os.path.join(bundle, v["model_file"]), meta, "the bundle's fp16 variant"
    _, precision, why = exporter()
    if precision is None:
        return None, None, f"the bundle has no fp16 variant and the exporter cannot run here ({why})"
    out = os.path.join(work, os.path.basename(os.path.normpath(bundle)) + "-fp16")
    meta = precision.add_variant(bundle, "fp16", out, eager)
    return os.path.join(out, meta["precisions"]["fp16"]["model_file"]), meta, "made now by sparkseg_models.precision"


def resnet50_bundle(work: str, min_size: int, max_size: int):
    """(bundle folder, its eager model, note) of a ResNet-50 Mask R-CNN from random weights (seeded), converted by
    the repository's exporter; (None, None, why not) where it cannot run."""
    export, _, why = exporter()
    if export is None:
        return None, None, f"the exporter cannot run here ({why})"
    torch.manual_seed(0)
    import torchvision.models.detection as det
    model = det.maskrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=91, min_size=min_size,
                                      max_size=max_size).eval()
    sd = os.path.join(work, "r50.pth")
    torch.save(model.state_dict(), sd)
    cats = os.path.join(work, "r50-categories.json")
    with open(cats, "w") as f:
        json.dump([{"id": i, "name": f"class{i}"} for i in range(1, 91)], f)
    out = os.path.join(work, "r50")
    export.export_torchvision("maskrcnn_resnet50_fpn", sd, cats, out, min_size=min_size, max_size=max_size,
                              name="r50-random")
    os.remove(sd)
    return out, model, "converted from random weights (throughput only: its detections mean nothing)"


# ---------------------------------------------------------------- the check
def check_bundle(name: str, bundle: str, images_dir: str, a, device: str, work: str, parity: bool,
                 eager=None) -> dict:
    meta = load_meta(bundle)
    resize_rule = meta["input"]["resize"]
    files = sorted(f for f in os.listdir(images_dir) if f.lower().endswith((".jpg", ".jpeg", ".png")))[:a.num]
    if not files:
        raise SystemExit(f"no .jpg/.png images in {images_dir}")
    resized = [resize(read_rgb(os.path.join(images_dir, f)), resize_rule["min_size"], resize_rule["max_size"])
               for f in files]
    images = [r[0] for r in resized]
    cut = float(meta.get("thresholds", {}).get("score", 0.5))
    report = {"bundle": bundle, "name": meta.get("name"), "images": len(images), "runs": [], "skipped": []}
    cpu = Runner(os.path.join(bundle, meta.get("model_file", "model.pt")), meta, "cpu")
    references: Dict[int, List[Dict[str, torch.Tensor]]] = {}

    def reference(batch: int) -> List[Dict[str, torch.Tensor]]:
        """The CPU float32 outputs of the same batches: a batch pads its images to a common size, which moves
        detections near the padded borders a little, so each batch size has its own reference."""
        if batch not in references:
            references[batch] = [d for k in range(0, len(images), batch)
                                 for d in per_image(cpu(*batch_of(images[k:k + batch])), len(images[k:k + batch]))]
        return references[batch]

    models = [("fp32", os.path.join(bundle, meta.get("model_file", "model.pt")), meta)]
    if device.startswith("cuda") or a.dry_run:
        try:
            path, vmeta, source = fp16_file(bundle, work, eager)
        except Exception as e:
            path, vmeta, source = None, None, f"making the fp16 variant failed: {type(e).__name__}: {e}"
        if path is None:
            report["skipped"].append(f"fp16: {source}")
        elif not device.startswith("cuda"):
            Runner(path, vmeta, "cpu")  # loads: the file is a valid TorchScript module
            report["skipped"].append(f"fp16: {source}, loaded; not run: fp16 runs on CUDA only (--dry-run is CPU)")
        else:
            report["fp16_source"] = source
            models.append(("fp16", path, vmeta))
    for precision, path, m in models:
        runner = Runner(path, m, device)
        for batch in a.batches:
            run = {"precision": precision, "batch": batch}
            try:
                if parity:
                    worst = {"compared": 0, "worst_box_px": 0.0, "worst_mask_iou": 1.0, "problems": []}
                    for k in range(0, len(images), batch):
                        chunk = images[k:k + batch]
                        outs = per_image(runner(*batch_of(chunk)), len(chunk))
                        for i, got in enumerate(outs):
                            c = compare(reference(batch)[k + i], got, resized[k + i][1], cut)
                            worst["compared"] += c["compared"]
                            worst["worst_box_px"] = max(worst["worst_box_px"], c["worst_box_px"])
                            worst["worst_mask_iou"] = min(worst["worst_mask_iou"], c["worst_mask_iou"])
                            worst["problems"] += [f"{files[k + i]}: {p}" for p in c["problems"]]
                    run["parity"] = worst
                    run["ok"] = not worst["problems"]
                else:
                    run["ok"] = True
                run["images_per_second"] = measure(runner, images, batch, a.iters, a.warmup)
            except Exception as e:
                run["ok"] = False
                run["error"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            report["runs"].append(run)
            print(line(name, device, run), flush=True)
    return report


def line(name: str, device: str, run: dict) -> str:
    s = f"{name:<10} {device:<6} {run['precision']:<5} batch {run['batch']:<2} "
    if "error" in run:
        return s + f"ERROR {run['error']}"
    s += f"{run['images_per_second']:8.2f} images/s"
    p = run.get("parity")
    if p is not None:
        s += (f"  parity {'ok' if run['ok'] else 'FAILED'} ({p['compared']} detections, worst box "
              f"{p['worst_box_px']:.2f} px, worst mask IoU {p['worst_mask_iou']:.3f})")
        for problem in p["problems"][:5]:
            s += f"\n    {problem}"
    return s


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", default=os.path.join(REPO, "samples", "model"))
    ap.add_argument("--images", default=os.path.join(REPO, "samples", "images"))
    ap.add_argument("--num", type=int, default=16, help="images to check and measure over (default 16)")
    ap.add_argument("--batches", default="1,4,8")
    ap.add_argument("--iters", type=int, default=10, help="measured batches per run (default 10)")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--no-resnet50", action="store_true", help="skip the converted ResNet-50 bundle")
    ap.add_argument("--resnet50-size", default="800,1333", help="its min_size,max_size (default 800,1333)")
    ap.add_argument("--dry-run", action="store_true",
                    help="CPU only: 2 images, batches 1 and 2, one measured batch, ResNet-50 at 128,192")
    ap.add_argument("--json", default=None, help="also write the results here")
    a = ap.parse_args(argv)
    a.batches = [int(b) for b in a.batches.split(",")]
    if a.dry_run:
        a.num, a.batches, a.iters, a.warmup, a.resnet50_size = 2, [1, 2], 1, 0, "128,192"
        device = "cpu"
    elif torch.cuda.is_available():
        device = "cuda"
    else:
        print("no CUDA device: torch.cuda.is_available() is false (use --dry-run to check the script on a CPU)")
        return 2
    # libtorch's defaults, as the Java engine runs them (cuDNN convolutions may use TF32 on Ampere and newer)
    print(f"torch {torch.__version__}, device {device}"
          + (f" ({torch.cuda.get_device_name(0)}, cudnn.allow_tf32 {torch.backends.cudnn.allow_tf32})"
             if device == "cuda" else ""), flush=True)
    results = {"torch": torch.__version__, "device": device, "dry_run": a.dry_run, "bundles": [], "skipped": []}
    work = tempfile.mkdtemp(prefix="sparkseg-gpu-check-")
    try:
        results["bundles"].append(check_bundle("embedded", a.bundle, a.images, a, device, work, parity=True))
        if a.no_resnet50:
            results["skipped"].append("resnet50: --no-resnet50")
        else:
            lo, hi = (int(v) for v in a.resnet50_size.split(","))
            try:
                r50, r50_model, note = resnet50_bundle(work, lo, hi)
            except Exception as e:
                r50, r50_model, note = None, None, f"converting failed: {type(e).__name__}: {e}"
            if r50 is None:
                results["skipped"].append(f"resnet50: {note}")
            else:
                rep = check_bundle("resnet50", r50, a.images, a, device, work, parity=False, eager=r50_model)
                rep["note"] = note
                results["bundles"].append(rep)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for b in results["bundles"]:
        results["skipped"] += [f"{b['name']}: {s}" for s in b["skipped"]]
    for s in results["skipped"]:
        print(f"SKIPPED {s}")
    failed = [r for b in results["bundles"] for r in b["runs"] if not r["ok"]]
    results["ok"] = not failed
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=2)
    print("parity: " + ("all runs passed" if not failed else f"{len(failed)} run(s) FAILED"))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
