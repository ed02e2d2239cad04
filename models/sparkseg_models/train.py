"""Train the sparkseg Mask R-CNN (+keypoints) from scratch on CPU on the synthetic data.

Training images are generated deterministically from ``--data-seed`` (image i of the epoch-cycle is
``synthetic.generate_image(data_seed, i)``, JPEG-compressed in memory with quality 90 like the
committed validation images).  A persistent data-loader worker caches the JPEG bytes and annotations,
so each image is drawn only once.  The learning rate follows a linear warm-up and then a cosine decay
keyed on *wall time*, so the run ends at ``--budget-min`` whatever the machine's speed.  A checkpoint
(state_dict + model config) is written to ``--out`` every ``--ckpt-min`` minutes and at the end.

  /usr/bin/python3 -m sparkseg_models.train --out runs/main --budget-min 95
"""
from __future__ import annotations

import argparse
import io
import json
import math
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

from .coco import CAT_ID_TO_LABEL, FLIP_INDEX, rle_decode
from .config import GROWABLE, growable_values
from .model import build_model
from .surgery import grow_state_dict
from .synthetic import generate_image


def anns_to_target(anns, h, w):
    anns = [a for a in anns if not a["iscrowd"]]   # torchvision detection models have no crowd notion
    n = len(anns)
    boxes = torch.tensor([[a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2], a["bbox"][1] + a["bbox"][3]]
                          for a in anns], dtype=torch.float32).reshape(n, 4)
    if n:
        masks = torch.from_numpy(np.stack([rle_decode(a["segmentation"]["counts"], h, w) for a in anns]))
    else:
        masks = torch.zeros((0, h, w), dtype=torch.uint8)
    # non-person instances get all-zero (v=0) keypoints: keypointrcnn_loss ignores them
    kps = torch.tensor([a.get("keypoints", [0] * 51) for a in anns], dtype=torch.float32).reshape(n, 17, 3)
    labels = torch.tensor([CAT_ID_TO_LABEL[a["category_id"]] for a in anns], dtype=torch.int64)
    return {"boxes": boxes, "labels": labels, "masks": masks, "keypoints": kps}


def hflip(img, tgt):
    w = img.shape[-1]
    img = img.flip(-1)
    b = tgt["boxes"].clone()
    b[:, 0], b[:, 2] = w - tgt["boxes"][:, 2], w - tgt["boxes"][:, 0]
    kp = tgt["keypoints"][:, FLIP_INDEX].clone()
    vis = kp[..., 2] > 0
    kp[..., 0] = torch.where(vis, w - kp[..., 0], kp[..., 0])
    return img, {"boxes": b, "labels": tgt["labels"], "masks": tgt["masks"].flip(-1), "keypoints": kp}


class SyntheticTrain(torch.utils.data.Dataset):
    def __init__(self, seed, num, flip=True, jitter=True, epoch_len=None):
        self.seed, self.num, self.flip, self.jitter = seed, num, flip, jitter
        self.cache = {}
        self.len = epoch_len or num

    def __len__(self):
        return self.len

    def _raw(self, i):
        if i not in self.cache:
            img, anns = generate_image(self.seed, i)
            buf = io.BytesIO()
            Image.fromarray(img).save(buf, format="JPEG", quality=90)
            self.cache[i] = (buf.getvalue(), anns)
        return self.cache[i]

    def __getitem__(self, idx):
        i = idx % self.num
        jpg, anns = self._raw(i)
        img = np.asarray(Image.open(io.BytesIO(jpg)).convert("RGB"))
        h, w = img.shape[:2]
        x = torch.from_numpy(img.copy()).permute(2, 0, 1).float().div_(255)
        tgt = anns_to_target(anns, h, w)
        self.calls = getattr(self, 'calls', 0) + 1
        g = torch.Generator().manual_seed(idx * 7919 + self.calls)
        if self.flip and torch.rand(1, generator=g).item() < 0.5:
            x, tgt = hflip(x, tgt)
        if self.jitter:
            a = 1 + (torch.rand(1, generator=g).item() - 0.5) * 0.4
            b = (torch.rand(1, generator=g).item() - 0.5) * 0.2
            x = (x * a + b).clamp_(0, 1)
        return x, tgt


def collate(batch):
    return tuple(zip(*batch))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data-seed", type=int, default=1000)
    ap.add_argument("--num-images", type=int, default=5000)
    ap.add_argument("--budget-min", type=float, default=95.0)
    ap.add_argument("--ckpt-min", type=float, default=5.0)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=150)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--config", default="{}", help="JSON overrides of config.DEFAULT_CONFIG")
    ap.add_argument("--train-min-sizes", default="288,304,320,336,352")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--resume", default=None, help="training checkpoint: weights, optimizer, iteration and clock")
    ap.add_argument("--init-bundle", default=None,
                    help="start from a sparkseg bundle's weights (its model_config unless --config overrides) with "
                         "a fresh optimizer, a new warm-up and a new --budget-min schedule; "
                         "--config can add architecture options the bundle lacks (fine_level, deep_taps, "
                         "keypoint_context_layers): they start as no-ops, see model.grow_state_dict")
    ap.add_argument("--train-only", default=None,
                    help="comma-separated parameter-name prefixes (e.g. roi_heads.mask_,roi_heads.keypoint_): "
                         "train only those; every other weight stays as loaded and BatchNorm layers that hold "
                         "no trained weight keep their running statistics (eval mode)")
    a = ap.parse_args(argv)
    if a.resume and a.init_bundle:
        ap.error("--resume and --init-bundle exclude each other")

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    log = open(os.path.join(a.out, "log.txt"), "a")

    def say(msg):
        line = time.strftime("%H:%M:%S ") + msg
        print(line, flush=True)
        log.write(line + "\n")
        log.flush()

    cfg = json.loads(a.config)
    init_weights, it_init, bundle_cfg = None, 0, None
    if a.init_bundle:
        from .export import load_bundle_model
        bundle_model, meta = load_bundle_model(a.init_bundle)
        bundle_cfg = meta["training"]["model_config"]
        cfg = dict(bundle_cfg, **cfg)
        init_weights = bundle_model.state_dict()
        it_init = int(meta["training"].get("iterations") or 0)
    sizes = tuple(int(s) for s in a.train_min_sizes.split(","))
    model = build_model(cfg, train_min_sizes=sizes)
    cfg = model.sparkseg_config
    frozen_norms = freeze_all_but(model, a.train_only.split(",")) if a.train_only else []
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim > 1]
    no_decay = [p for p in params if p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr)
    it0, elapsed0 = 0, 0.0
    if init_weights is not None:
        old, new = growable_values(bundle_cfg), growable_values(cfg)
        # as given (true, 64, 1.35), not as the comparable numbers
        added = {k: new[k] if cfg[k] is None else cfg[k] for k in GROWABLE if new[k] != old[k]}
        if any(new[k] < old[k] for k in added):
            ap.error(f"--config can add architecture options to a bundle, not remove them: {json.dumps(added)} "
                     f"against the bundle's {json.dumps({k: old[k] for k in added})}")
        if added:
            init_weights = grow_state_dict(init_weights, bundle_cfg, model)
            say(f"grew the bundle's architecture by {json.dumps(added)} (new parts start as no-ops)")
        model.load_state_dict(init_weights)
        it0 = it_init
        say(f"initialized from bundle {a.init_bundle} (trained {it_init} iterations before)")
    if a.resume:
        ck = torch.load(a.resume, map_location="cpu")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        it0, elapsed0 = ck["iteration"], ck["elapsed_s"]
        say(f"resumed from {a.resume} at iteration {it0}, {elapsed0:.0f}s")
    say("command: " + " ".join([sys.executable, "-m", "sparkseg_models.train"] + (argv or sys.argv[1:])))
    say("config: " + json.dumps(cfg))

    ds = SyntheticTrain(a.data_seed, a.num_images, epoch_len=10 ** 7)
    budget = a.budget_min * 60.0
    t_start = time.time() - elapsed0
    # a fresh optimizer warms up again; a resumed one continues where it was
    warm_from = it0 if init_weights is not None else 0
    last_ckpt = time.time()
    model.train()
    for m in frozen_norms:
        m.eval()
    it = it0
    agg, n_agg = {}, 0

    def save(tag):
        ck = {"model": model.state_dict(), "optimizer": opt.state_dict(), "config": cfg, "iteration": it,
              "elapsed_s": time.time() - t_start, "args": vars(a), "data_seed": a.data_seed,
              "num_images": a.num_images, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        path = os.path.join(a.out, f"ckpt_{it:06d}.pt")
        torch.save(ck, path + ".tmp")
        os.replace(path + ".tmp", path)
        lp = os.path.join(a.out, "last.pt")
        if os.path.lexists(lp):
            os.remove(lp)
        os.symlink(os.path.basename(path), lp)
        say(f"checkpoint {path} ({tag})")
        old = sorted(f for f in os.listdir(a.out) if f.startswith("ckpt_") and f.endswith(".pt"))
        for f in old[:-4]:
            os.remove(os.path.join(a.out, f))

    # index stream: random permutation of the image pool, repeated
    def indices():
        ep = 0
        while True:
            perm = torch.randperm(a.num_images, generator=torch.Generator().manual_seed(a.seed * 1000 + ep)).tolist()
            yield from perm
            ep += 1

    ds_iter = iter(torch.utils.data.DataLoader(
        _IndexedView(ds, indices()), batch_size=a.batch, num_workers=a.workers, collate_fn=collate,
        persistent_workers=False))
    t_log = time.time()
    while True:
        el = time.time() - t_start
        if el >= budget:
            break
        frac = el / budget
        if it - warm_from < a.warmup:
            lr = a.lr * (0.05 + 0.95 * (it - warm_from) / a.warmup)
        else:
            lr = a.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        imgs, tgts = next(ds_iter)
        losses = model(list(imgs), list(tgts))
        loss = sum(losses.values())
        if not torch.isfinite(loss):
            say(f"non-finite loss at {it}: { {k: v.item() for k, v in losses.items()} }; skipping")
            opt.zero_grad()
            it += 1
            continue
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 10.0)
        opt.step()
        it += 1
        for k, v in losses.items():
            agg[k] = agg.get(k, 0.0) + v.item()
        agg["total"] = agg.get("total", 0.0) + loss.item()
        n_agg += 1
        if it % 20 == 0:
            dt = time.time() - t_log
            t_log = time.time()
            say(f"it {it} el {el / 60:.1f}m lr {lr:.2e} {n_agg / dt:.2f} it/s " +
                " ".join(f"{k} {v / n_agg:.3f}" for k, v in agg.items()))
            agg, n_agg = {}, 0
        if time.time() - last_ckpt >= a.ckpt_min * 60:
            save("periodic")
            last_ckpt = time.time()
    save("final")
    say(f"done: {it} iterations in {(time.time() - t_start) / 60:.1f} min")


def freeze_all_but(model, prefixes):
    """Freezes every parameter whose name starts with none of ``prefixes`` (an unknown prefix is an
    error) and returns the BatchNorm modules left with no trainable weight: the caller keeps them in
    eval mode, since frozen weights over drifting running statistics would change the frozen part."""
    prefixes = [p.strip() for p in prefixes if p.strip()]
    if not prefixes:
        raise ValueError("--train-only names no parameter prefix: nothing would train")
    names = [n for n, _ in model.named_parameters()]
    for pre in prefixes:
        if not any(n.startswith(pre) for n in names):
            raise ValueError(f"--train-only prefix {pre!r} names no parameter of the model")
    for n, p in model.named_parameters():
        p.requires_grad_(any(n.startswith(pre) for pre in prefixes))
    return [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
            and not any(p.requires_grad for p in m.parameters())]


class _IndexedView(torch.utils.data.IterableDataset):
    """Iterable over a map-style dataset following an index stream (one worker keeps the cache)."""

    def __init__(self, ds, idx_iter):
        self.ds, self.idx_iter = ds, idx_iter

    def __iter__(self):
        for i in self.idx_iter:
            yield self.ds[i]


if __name__ == "__main__":
    main()
