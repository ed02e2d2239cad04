"""Export a trained model (or a user's torchvision Mask/Keypoint R-CNN checkpoint) as a sparkseg bundle.

A bundle is a folder with ``model.pt`` (TorchScript, scripted -- not traced -- with pure-aten nms and
roi_align, so no ``torchvision::`` op is needed at run time) and ``model.json`` (format
``sparkseg-bundle/1``: categories, input/output contract, thresholds, sha256 of model.pt), whose fields
``models/bundle.schema.json`` describes (written and read bundles are checked against it).

Scripted forward contract::

    forward(images: float32[B,3,H,W] RGB in 0..1, resized by the caller (torchvision rule) and
            zero-padded to a common size; sizes: int64[B,2] true (resized) height,width)
      -> (boxes[N,4] xyxy in resized coordinates, scores[N], labels[N] int64, mask_probs[N,1,M,M],
          keypoints[N,K,3] (x, y, 1), keypoint_scores[N,K], image_index[N] int64)

Commands::

  # sparkseg checkpoint written by sparkseg_models.train
  python -m sparkseg_models.export checkpoint --checkpoint runs/main/last.pt --out ../samples/model

  # an existing bundle's weights, exported again with this exporter (e.g. after faster ops)
  python -m sparkseg_models.export rebundle --bundle ../samples/model --out /tmp/model-new --version 1.2.0

  # a torchvision maskrcnn_* / keypointrcnn_* state_dict + category list
  python -m sparkseg_models.export torchvision --arch maskrcnn_resnet50_fpn --state-dict my.pth \\
      --categories cats.json --out my_bundle [--min-size 800 --max-size 1333]

  # a Detectron2 Mask / Keypoint R-CNN (R50/R101-FPN) checkpoint + its config (detectron2.py)
  python -m sparkseg_models.export detectron2 --config mask_rcnn_R_50_FPN_3x.yaml \\
      --weights model_final_f10217.pkl --categories categories/coco_detectron2.json --out my_bundle
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import zipfile
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models.detection.image_list import ImageList

from . import ops
from .bundle_schema import check_bundle_json
from .coco import CATEGORIES, KEYPOINT_NAMES, SIGMAS, SKELETON, mirror_index
from .config import DEFAULT_CONFIG, IMAGE_MEAN, IMAGE_STD, head_box_scales, with_test_settings
from .model import build_model
from .stateless import make_stateless
from .tta import MASK_TEST_UPSAMPLING, FlipTestMaskRCNN, TestTimeRoIHeads, use_test_time_heads

FORMAT = "sparkseg-bundle/1"


class BundleModule(nn.Module):
    """The eager model's backbone, RPN and RoI heads behind the bundle's tensor contract.

    The heads' inference is the eager one, ``tta.TestTimeRoIHeads.detect`` of the model's own ``roi_heads``
    (scripted with it): the mask head in the box scales ``roi_heads.mask_test_box_scales``, the keypoint head in
    ``roi_heads.keypoint_box_scale`` and ``keypoint_test_box_scales``, the flip as ``FlipTestMaskRCNN`` does it.
    The masks belong to the first (largest) mask box, which model.json declares as ``output.mask_box_scale``;
    keypoints leave the model in image coordinates. Beyond the eager model, the keypoint branch only runs on
    detections whose label has keypoints (``keypoint_labels``; empty = every detection, as torchvision): the other
    rows get zero keypoints, which no consumer reads.

    What stays here, and why it cannot be the eager ``model.transform``: the tensor contract itself. The caller
    hands a batch already resized and zero-padded with its true sizes (torchvision's transform takes a list of
    images and resizes them again), and the outputs are flat tensors over the batch with ``image_index``, not
    torchvision's list of dicts pasted into the original image. So normalization, the padding to a multiple of 32
    and the flattening are this module's; the mirrored backbone pass is one line, as in ``FlipTestMaskRCNN``.

    ``flip_test`` is the default (the exported model's); an optional third input, a one-element bool tensor,
    switches it per call, so one file serves both the accurate and the fast setting. ``keypoint_mirror`` (from the
    keypoint names) is empty where the keypoints cannot be mirrored: then the flip cannot be switched on.
    ``mask_resolution`` is the side of the mask maps, for the zero masks of a model without a mask head.
    """

    # a real type, not a string (this module uses postponed annotations): TorchScript reads it
    __annotations__ = {"keypoint_labels": List[int], "keypoint_mirror": List[int]}

    def __init__(self, model, mean, std, has_masks: bool, has_keypoints: bool, num_keypoints: int,
                 keypoint_labels: Optional[List[int]] = None, mask_resolution: int = 28,
                 flip_test: bool = False, keypoint_mirror: Optional[List[int]] = None):
        super().__init__()
        self.backbone = model.backbone
        self.rpn = model.rpn
        # torchvision's RoIHeads (a converted checkpoint) gain detect() in place; its forward stays torchvision's
        self.roi_heads = model.roi_heads if isinstance(model.roi_heads, TestTimeRoIHeads) \
            else use_test_time_heads(model.roi_heads)
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        self.has_masks = has_masks
        self.has_keypoints = has_keypoints
        self.num_keypoints = num_keypoints
        self.keypoint_labels = list(keypoint_labels or [])
        self.mask_resolution = mask_resolution
        self.size_divisible = 32
        self.flip_test = flip_test
        self.keypoint_mirror = list(keypoint_mirror) if keypoint_mirror is not None else []
        self.flip_available = not has_keypoints or len(self.keypoint_mirror) > 0
        if self.flip_available and has_keypoints and sorted(self.keypoint_mirror) != list(range(num_keypoints)):
            raise ValueError(f"keypoint_mirror {self.keypoint_mirror} is not a permutation of {num_keypoints} keypoints")
        if flip_test and not self.flip_available:
            raise ValueError("flip_test needs keypoint_mirror: the keypoints must be mirrored under the flip")

    def forward(self, images: Tensor, sizes: Tensor, flip: Optional[Tensor] = None,
                min_score: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        use_flip = self.flip_test
        if flip is not None:
            if flip.numel() != 1:
                raise ValueError("flip must be a tensor of one element")
            use_flip = bool(flip.reshape(-1)[0])
        if use_flip and not self.flip_available:
            raise ValueError("this model cannot flip: its keypoint names do not pair every left_* with a right_*")
        # the caller's score threshold: detections under it leave before the mask and keypoint heads, which would
        # otherwise run on every detection over the model's own (low) threshold only for the caller to drop them
        floor = 0.0
        if min_score is not None:
            if min_score.numel() != 1:
                raise ValueError("min_score must be a tensor of one element")
            floor = float(min_score.reshape(-1)[0])
        b, _, h, w = images.shape
        x = (images - self.mean[None, :, None, None]) / self.std[None, :, None, None]
        sizes = sizes.to(torch.int64)
        rows = torch.arange(h, device=images.device)[None, :, None]
        cols = torch.arange(w, device=images.device)[None, None, :]
        inside = (rows < sizes[:, 0, None, None]) & (cols < sizes[:, 1, None, None])
        x = x * inside[:, None].to(x.dtype)
        d = self.size_divisible
        hp = (h + d - 1) // d * d
        wp = (w + d - 1) // d * d
        x = F.pad(x, (0, wp - w, 0, hp - h))
        image_sizes: List[Tuple[int, int]] = []
        for i in range(b):
            image_sizes.append((int(sizes[i, 0]), int(sizes[i, 1])))
        il = ImageList(x, image_sizes)
        features = self.backbone(x)
        proposals, _ = self.rpn(il, features, None)
        mirrored: Optional[Dict[str, Tensor]] = None
        if use_flip:
            mirrored = self.backbone(x.flip(-1))
        dets = self.roi_heads.detect(features, proposals, il.image_sizes, mirrored, wp, self.keypoint_mirror,
                                     floor, self.keypoint_labels)
        boxes: List[Tensor] = []
        scores: List[Tensor] = []
        labels: List[Tensor] = []
        masks: List[Tensor] = []
        kps: List[Tensor] = []
        kpscores: List[Tensor] = []
        index: List[Tensor] = []
        m = self.mask_resolution
        k = self.num_keypoints
        for i, det in enumerate(dets):
            n = det["boxes"].shape[0]
            boxes.append(det["boxes"])
            scores.append(det["scores"])
            labels.append(det["labels"])
            if self.has_masks:
                masks.append(det["masks"])
            else:
                masks.append(torch.zeros((n, 1, m, m), dtype=x.dtype, device=x.device))
            if self.has_keypoints:
                kps.append(det["keypoints"])
                kpscores.append(det["keypoints_scores"])
            else:
                kps.append(torch.zeros((n, k, 3), dtype=x.dtype, device=x.device))
                kpscores.append(torch.zeros((n, k), dtype=x.dtype, device=x.device))
            index.append(torch.full((n,), i, dtype=torch.int64, device=x.device))
        if b == 0:
            z = torch.zeros((0,), dtype=x.dtype, device=x.device)
            return (z.reshape(0, 4), z, z.to(torch.int64), z.reshape(0, 1, 1, 1).expand(0, 1, m, m),
                    z.reshape(0, 1, 1).expand(0, k, 3), z.reshape(0, 1).expand(0, k), z.to(torch.int64))
        return (torch.cat(boxes), torch.cat(scores), torch.cat(labels), torch.cat(masks), torch.cat(kps),
                torch.cat(kpscores), torch.cat(index))


def script_bundle_module(model, mean=IMAGE_MEAN, std=IMAGE_STD, keypoint_labels: Optional[List[int]] = None,
                         keypoint_names: Optional[List[str]] = None):
    """The scripted ``BundleModule`` of ``model`` (plus has_masks, has_keypoints, number of keypoints). The flip
    can be switched per call when ``keypoint_names`` (default: COCO's, when the model has 17) pair up left and
    right; its default is on for a ``FlipTestMaskRCNN``."""
    ops.patch_torchvision()
    model = make_stateless(model.eval())
    rh = model.roi_heads
    has_masks = rh.has_mask()
    has_kp = rh.has_keypoint()
    k = rh.keypoint_predictor.kps_score_lowres.out_channels if has_kp else 0
    flip = isinstance(model, FlipTestMaskRCNN)
    if keypoint_names is None and k == len(KEYPOINT_NAMES):
        keypoint_names = list(KEYPOINT_NAMES)
    try:
        mirror = mirror_index(keypoint_names) if has_kp and keypoint_names and len(keypoint_names) == k else None
    except ValueError:
        mirror = None  # a left_* keypoint without its right_*: the flip cannot be offered
    if flip and mirror != model.keypoint_mirror:
        raise ValueError(f"keypoint names {keypoint_names} do not mirror as the model's flip does")
    mod = BundleModule(model, mean, std, has_masks, has_kp, k, keypoint_labels,
                       mask_resolution=mask_resolution_of(model), flip_test=flip, keypoint_mirror=mirror).eval()
    scripted = torch.jit.script(mod)
    writes = module_attribute_writes(scripted)
    if writes:
        raise ValueError(f"the scripted forward writes module attributes {writes}: the Java predictor shares one "
                         "loaded module between inference threads, so forward must not change module state")
    return scripted, has_masks, has_kp, k


def head_box_scale_of(model) -> float:
    """The factor by which ``model``'s mask/keypoint heads enlarge boxes (1.0 for torchvision's RoIHeads)."""
    return float(getattr(model.roi_heads, "head_box_scale", 1.0))


def keypoint_box_scale_of(model) -> float:
    """The factor by which ``model``'s keypoint head enlarges boxes (its mask head's unless set apart)."""
    return float(getattr(model.roi_heads, "keypoint_box_scale", head_box_scale_of(model)))


def mask_box_scales_of(model) -> List[float]:
    """The boxes (scales, largest first) ``model``'s mask head runs in at test time; its masks belong to the first."""
    scales = getattr(model.roi_heads, "mask_test_box_scales", None)
    return [float(x) for x in scales] if scales else [head_box_scale_of(model)]


def mask_resolution_of(model) -> int:
    """The side of ``model``'s mask maps: 28 (torchvision's mask predictor doubles its 14x14 pool), times
    ``MASK_TEST_UPSAMPLING`` when the masks are averaged over several boxes."""
    return 28 * (MASK_TEST_UPSAMPLING if len(mask_box_scales_of(model)) > 1 else 1)


def keypoint_test_box_scales_of(model) -> List[float]:
    """The extra box scales ``model``'s keypoint head also runs in at test time (none for torchvision's RoIHeads)."""
    return [float(x) for x in getattr(model.roi_heads, "keypoint_test_box_scales", ())]


def module_attribute_writes(scripted) -> List[str]:
    """``Type.attribute`` for every attribute of a *module* that the scripted ``forward`` assigns (attributes
    of objects it creates itself, like an ``ImageList``, are fine): each is a data race once threads share
    the module."""
    module_types = {str(m._c._type()) for m in scripted.modules()}
    writes = []
    graph = scripted.forward.inlined_graph  # held: its nodes die with it
    for node in graph.findAllNodes("prim::SetAttr"):
        owner = str(node.inputsAt(0).type())
        if owner in module_types:
            writes.append(f"{owner.rsplit('.', 1)[-1]}.{node.s('name')}")
    return sorted(set(writes))


def torchvision_ops_in_archive(path: str) -> List[str]:
    """Lines of the serialized TorchScript code that call a torchvision:: custom op."""
    bad = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if "/code/" in name and name.endswith(".py"):
                txt = z.read(name).decode("utf-8", "replace")
                for line in txt.splitlines():
                    if "ops.torchvision." in line or "torchvision::" in line:
                        bad.append(f"{name}: {line.strip()}")
    return bad


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def default_categories() -> List[dict]:
    cats = []
    for i, (cid, name, sup) in enumerate(CATEGORIES):
        rec = {"label": i + 1, "id": cid, "name": name, "supercategory": sup}
        if cid == 1:
            rec["keypoints"] = list(KEYPOINT_NAMES)
            rec["skeleton"] = [list(s) for s in SKELETON]
            rec["sigmas"] = list(SIGMAS)
        cats.append(rec)
    return cats


def save_scripted(scripted, out_dir: str) -> str:
    """Saves a scripted model as ``out_dir/model.pt`` (its path), refused when its code calls a torchvision op."""
    os.makedirs(out_dir, exist_ok=True)
    pt = os.path.join(out_dir, "model.pt")
    tmp = pt + ".tmp"
    scripted.save(tmp)
    bad = torchvision_ops_in_archive(tmp)
    if bad:
        os.remove(tmp)
        raise RuntimeError("scripted model still calls torchvision ops:\n" + "\n".join(bad[:10]))
    os.replace(tmp, pt)
    return pt


def write_bundle(model, out_dir: str, categories: List[dict], min_size: int, max_size: int,
                 name: str = "sparkseg-synthetic-maskrcnn", version: str = "1.0.0", architecture: str = "",
                 training: Optional[dict] = None, score_threshold: float = 0.5, mask_threshold: float = 0.5,
                 mean=IMAGE_MEAN, std=IMAGE_STD) -> dict:
    keypoint_labels = sorted(int(c["label"]) for c in categories if c.get("keypoints"))
    names = next((list(c["keypoints"]) for c in categories if c.get("keypoints")), None)
    scripted, has_masks, has_kp, k = script_bundle_module(model, mean, std, keypoint_labels, names)
    pt = save_scripted(scripted, out_dir)
    meta = {
        "format": FORMAT,
        "name": name,
        "version": version,
        "model_file": "model.pt",
        "sha256": sha256_of(pt),
        "architecture": architecture,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "training": training or {},
        "categories": categories,
        "input": {
            "layout": "NCHW", "dtype": "float32", "channel_order": "RGB", "value_range": [0.0, 1.0],
            "normalization": {"inside_model": True, "mean": list(mean), "std": list(std)},
            "resize": {"rule": "torchvision", "min_size": int(min_size), "max_size": int(max_size),
                       "formula": "scale = float32(min(min_size/float32(min(h,w)), max_size/float32(max(h,w)))); "
                                  "out = floor(double(side) * double(scale)); bilinear, align_corners=false, "
                                  "interpolation scale = out/in (recompute_scale_factor)"},
            "size_divisibility": 32,
            "inputs": ["images", "sizes"],
            # a third input the model takes when it can flip: per call, flip on or off (test_time.flip without it)
            "optional_inputs": dict(
                ({"flip": "bool tensor of one element: true runs the mask and keypoint heads on the "
                          "mirrored image too and averages their logits, false does not"}
                 if scripted.flip_available else {}),
                min_score="float tensor of one element, after flip: detections scoring under it are left out before "
                          "the mask and keypoint heads run (the caller's score threshold; pass flip with it)"),
        },
        "output": {
            "names": ["boxes", "scores", "labels", "mask_probs", "keypoints", "keypoint_scores", "image_index"],
            "box_format": "xyxy", "coordinates": "resized_input", "mask_resolution": int(scripted.mask_resolution),
            "num_keypoints": k,
            # mask_probs cover each box enlarged by this factor about its centre: paste them there
            "mask_box_scale": mask_box_scales_of(model)[0],
            "has_masks": has_masks, "has_keypoints": has_kp,
            # the keypoint branch runs on detections of these labels only (empty: all)
            "keypoint_labels": keypoint_labels if has_kp else [],
        },
        "thresholds": {"score": score_threshold, "mask": mask_threshold},
        # test-time augmentation the model does when its caller does not say (input.optional_inputs)
        # (keypoint_box_scales: the keypoint head's box scales whose heat maps it averages; for the record only)
        "test_time": {"flip": bool(scripted.flip_test), "mask_box_scales": mask_box_scales_of(model),
                      "keypoint_box_scales": ([keypoint_box_scale_of(model)] + keypoint_test_box_scales_of(model)
                                              if has_kp else [])},
    }
    check_bundle_json(meta, os.path.join(out_dir, "model.json"))
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return meta


# ---------------------------------------------------------------- sparkseg checkpoints
def load_checkpoint(path: str, test_settings: Optional[dict] = None):
    ck = torch.load(path, map_location="cpu")
    model = build_model(with_test_settings(ck["config"], test_settings))
    model.load_state_dict(ck["model"])
    return model.eval(), ck


def architecture_string(cfg: dict) -> str:
    scale, kp_scale = head_box_scales(cfg)
    if scale == kp_scale:
        head_scale = f"; mask/keypoint heads in boxes enlarged {scale:g}x" if scale != 1.0 else ""
    else:
        head_scale = f"; mask head in boxes enlarged {scale:g}x, keypoint head {kp_scale:g}x"
    return (f"torchvision MaskRCNN + KeypointRCNN heads in one RoIHeads; backbone {cfg['backbone']} (from scratch) "
            f"FPN {cfg['fpn_channels']} ch on strides 8/16/32 + maxpool level"
            f"{' + stride 4 for the mask/keypoint pools' if cfg.get('fine_level') else ''}"
            f"{'; strides 8/16 tap the first and last block of their stage' if cfg.get('deep_taps') else ''}; "
            f"box head 2xFC {cfg['box_repr']}; mask head {cfg['mask_layers']}x{cfg['mask_channels']} conv"
            f"{' + 28x28 refinement 2x%d conv on the stride-4 level' % cfg['mask_refine_channels'] if cfg.get('mask_refine_channels') else ''}"
            f"{' and the image' if cfg.get('mask_image_detail') else ''}"
            f"; keypoint head "
            f"{cfg['keypoint_layers']}x{cfg['keypoint_channels']} conv"
            f"{' + %d dilated' % cfg['keypoint_context_layers'] if cfg.get('keypoint_context_layers') else ''}"
            f"{' + 28x28 refinement 2x%d conv on the stride-4 level' % cfg['keypoint_refine_channels'] if cfg.get('keypoint_refine_channels') else ''}"
            f"{' and the image' if cfg.get('keypoint_refine_channels') and cfg.get('mask_image_detail') else ''}"
            f"{head_scale}"
            f"; rpn_pre_nms_top_n_test {cfg.get('rpn_pre_nms_top_n_test', 1000)}, rpn_post_nms_top_n_test "
            f"{cfg['rpn_post_nms_top_n_test']}; box_detections_per_img {cfg['box_detections_per_img']}; "
            f"box_score_thresh {cfg['box_score_thresh']}"
            f"{'; flip test: mask and keypoint heads also on the mirrored image, logits averaged' if cfg.get('flip_test') else ''}"
            f"{'; keypoint heat maps also from boxes enlarged %s, averaged' % '/'.join('%gx' % x for x in cfg['keypoint_test_box_scales']) if cfg.get('keypoint_test_box_scales') else ''}"
            f"{'; at test time the mask head works in boxes enlarged %s' % '/'.join('%gx' % x for x in sorted(cfg['mask_test_box_scales'], reverse=True)) if cfg.get('mask_test_box_scales') else ''}"
            f"{' (probabilities averaged on an 84x84 grid)' if len(cfg.get('mask_test_box_scales') or []) > 1 else ''}")


def export_checkpoint(ckpt_path: str, out_dir: str, name="sparkseg-synthetic-maskrcnn", version="1.0.0",
                      extra_training: Optional[dict] = None, test_settings: Optional[dict] = None) -> dict:
    model, ck = load_checkpoint(ckpt_path, test_settings)
    cfg = with_test_settings(ck["config"], test_settings)
    training = {"data": "sparkseg_models.synthetic", "data_seed": ck.get("data_seed"),
                "num_images": ck.get("num_images"), "iterations": ck.get("iteration"),
                "wall_time_s": round(float(ck.get("elapsed_s", 0.0)), 1), "checkpoint_time": ck.get("time"),
                "args": ck.get("args"), "device": "cpu (2 threads)",
                # the full build_model config, so tools can rebuild the eager model (bench_eager.py)
                "model_config": cfg}
    if extra_training:
        training.update(extra_training)
    return write_bundle(model, out_dir, default_categories(), cfg["min_size"], cfg["max_size"], name=name,
                        version=version, architecture=architecture_string(cfg), training=training)


def load_bundle_model(bundle_dir: str, test_settings: Optional[dict] = None):
    """The eager torchvision model of a sparkseg bundle: architecture from model.json's
    ``training.model_config``, weights from the scripted model.pt (same state_dict keys; the
    normalization buffers of the wrapper are checked against the eager transform and dropped).
    ``bundle_dir`` may also be a zip of the folder, as the Java side accepts."""
    if os.path.isfile(bundle_dir):
        return _load_zipped_bundle_model(bundle_dir, test_settings)
    with open(os.path.join(bundle_dir, "model.json")) as f:
        meta = json.load(f)
    check_bundle_json(meta, os.path.join(bundle_dir, "model.json"))
    cfg = meta.get("model_config") or meta.get("training", {}).get("model_config")
    if not cfg:
        raise ValueError(f"{bundle_dir}/model.json has no training.model_config: the architecture is unknown")
    model = build_model(with_test_settings(cfg, test_settings))
    scripted = torch.jit.load(os.path.join(bundle_dir, meta.get("model_file", "model.pt")), map_location="cpu")
    weights = scripted.state_dict()
    for key, want in (("mean", model.transform.image_mean), ("std", model.transform.image_std)):
        if key in weights:
            got = weights.pop(key).flatten().tolist()
            if any(abs(g - w) > 1e-6 for g, w in zip(got, want)):
                raise ValueError(f"bundle {key} {got} differs from the eager model's {want}")
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        raise ValueError(f"weights do not fit the eager model: missing {missing[:5]}, unexpected {unexpected[:5]}")
    return model.eval(), meta


def _load_zipped_bundle_model(archive: str, test_settings: Optional[dict] = None):
    import tempfile
    if not zipfile.is_zipfile(archive):
        raise ValueError(f"model bundle {archive}: a file, but not a zip archive (a bundle is a folder or a zip of one)")
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(archive) as z:
        names = [n for n in z.namelist() if not n.startswith("__MACOSX/")]
        for n in names:
            target = os.path.realpath(os.path.join(tmp, n))
            if not target.startswith(os.path.realpath(tmp) + os.sep):
                raise ValueError(f"model bundle archive {archive}: entry '{n}' points outside the archive")
        z.extractall(tmp, members=names)
        tops = [d for d in os.listdir(tmp) if os.path.isdir(os.path.join(tmp, d))]
        root = tmp if os.path.isfile(os.path.join(tmp, "model.json")) else (
            os.path.join(tmp, tops[0]) if len(tops) == 1 else None)
        if root is None or not os.path.isfile(os.path.join(root, "model.json")):
            raise ValueError(f"model bundle archive {archive}: model.json is missing (expected at the top of the "
                             "archive or inside a single top folder)")
        return load_bundle_model(root, test_settings)


def rebundle(bundle_dir: str, out_dir: str, version: str, test_settings: Optional[dict] = None) -> dict:
    """Writes ``bundle_dir``'s weights again with this exporter (e.g. after faster pure-aten ops), keeping
    its name, categories, thresholds and training record; the record notes the re-export, and
    ``test_settings`` (``config.TEST_TIME_KEYS``) change the recorded model_config."""
    model, meta = load_bundle_model(bundle_dir, test_settings)
    resize = meta["input"]["resize"]
    training = dict(meta.get("training") or {})
    earlier = training.get("re_exported")
    training["re_exported"] = {"from_version": meta.get("version"), "from_sha256": meta.get("sha256"),
                               "time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    if earlier:
        training["re_exported"]["earlier"] = earlier   # the source bundle was itself a re-export: keep its record
    architecture = meta.get("architecture", "")
    if test_settings:
        training["re_exported"]["test_settings"] = dict(test_settings)
        training["model_config"] = with_test_settings(meta.get("model_config") or training["model_config"],
                                                      test_settings)
        architecture = architecture_string({**DEFAULT_CONFIG, **training["model_config"]})
    thresholds = meta.get("thresholds", {})
    norm = meta.get("input", {}).get("normalization", {})
    return write_bundle(model, out_dir, meta["categories"], resize["min_size"], resize["max_size"], name=meta["name"],
                        version=version, architecture=architecture, training=training,
                        score_threshold=thresholds.get("score", 0.5), mask_threshold=thresholds.get("mask", 0.5),
                        mean=norm.get("mean", IMAGE_MEAN), std=norm.get("std", IMAGE_STD))


# ---------------------------------------------------------------- torchvision checkpoints
TV_ARCHS = ("maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2", "keypointrcnn_resnet50_fpn")


def load_categories_file(path: str) -> List[dict]:
    """A JSON list of categories (or a COCO json with a "categories" key).  Each entry: id, name,
    optional supercategory, keypoints, skeleton, sigmas and label (the model's output class index;
    defaults to position + 1)."""
    with open(path) as f:
        data = json.load(f)
    if isinstance(data, dict):
        data = data["categories"]
    cats = []
    for i, c in enumerate(data):
        rec = {"label": int(c.get("label", i + 1)), "id": int(c["id"]), "name": c["name"],
               "supercategory": c.get("supercategory", "")}
        for key in ("keypoints", "skeleton", "sigmas"):
            if key in c:
                rec[key] = c[key]
        if "keypoints" in rec and "sigmas" not in rec and len(rec["keypoints"]) == 17:
            rec["sigmas"] = list(SIGMAS)
        cats.append(rec)
    return cats


def build_torchvision_model(arch: str, state_dict: Dict[str, Tensor], num_classes: int, min_size: int,
                            max_size: int, box_detections_per_img: int = 100, rpn_post_nms_top_n_test: int = 1000):
    import torchvision.models.detection as det
    if arch not in TV_ARCHS:
        raise ValueError(f"unsupported arch {arch}; one of {TV_ARCHS}")
    kw = dict(weights=None, weights_backbone=None, num_classes=num_classes, min_size=min_size, max_size=max_size,
              box_detections_per_img=box_detections_per_img, rpn_post_nms_top_n_test=rpn_post_nms_top_n_test)
    if arch.startswith("keypointrcnn"):
        k = state_dict["roi_heads.keypoint_predictor.kps_score_lowres.weight"].shape[1]
        kw["num_keypoints"] = int(k)
    model = getattr(det, arch)(**kw)
    model.load_state_dict(state_dict)
    return model.eval()


def export_torchvision(arch: str, state_dict_path: str, categories_path: str, out_dir: str, min_size=800,
                       max_size=1333, name=None, version="1.0.0", box_detections_per_img=100,
                       rpn_post_nms_top_n_test=1000) -> dict:
    sd = torch.load(state_dict_path, map_location="cpu")
    if isinstance(sd, dict) and "model" in sd and isinstance(sd["model"], dict):
        sd = sd["model"]   # torchvision reference-scripts checkpoint
    cats = load_categories_file(categories_path)
    num_classes = int(sd["roi_heads.box_predictor.cls_score.weight"].shape[0])
    if max(c["label"] for c in cats) >= num_classes:
        raise ValueError(f"category labels go up to {max(c['label'] for c in cats)} but the checkpoint has "
                         f"{num_classes} classes (incl. background)")
    model = build_torchvision_model(arch, sd, num_classes, min_size, max_size, box_detections_per_img,
                                    rpn_post_nms_top_n_test)
    return write_bundle(model, out_dir, cats, min_size, max_size, name=name or f"converted-{arch}",
                        version=version, architecture=f"torchvision {arch} (converted checkpoint)",
                        training={"source": os.path.basename(state_dict_path), "converted_by":
                                  "sparkseg_models.export torchvision"})


def add_detectron2_command(sub):
    a4 = sub.add_parser("detectron2", help="convert a Detectron2 Mask/Keypoint R-CNN checkpoint (.pkl or .pth)")
    a4.add_argument("--config", required=True, help="its Detectron2 YAML (with _BASE_ files beside it) or a JSON")
    a4.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                    help="config keys to change, e.g. INPUT.MIN_SIZE_TEST=640")
    a4.add_argument("--weights", required=True, help="model_final_*.pkl of the model zoo, or a .pth state dict")
    a4.add_argument("--categories", required=True, help="one category per class, in class order")
    a4.add_argument("--out", required=True)
    a4.add_argument("--name", default=None)
    a4.add_argument("--version", default="1.0.0")
    a4.add_argument("--score-threshold", type=float, default=0.5, help="the bundle's default score threshold")


def run_detectron2_command(a) -> dict:
    from .detectron2_export import export_detectron2
    from .detectron2_weights import parse_overrides
    return export_detectron2(a.config, a.weights, a.categories, a.out, parse_overrides(a.set), a.name, a.version,
                             a.score_threshold)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a1 = sub.add_parser("checkpoint", help="export a sparkseg training checkpoint")
    a1.add_argument("--checkpoint", required=True)
    a1.add_argument("--out", required=True)
    a1.add_argument("--name", default="sparkseg-synthetic-maskrcnn")
    a1.add_argument("--version", default="1.0.0")
    a1.add_argument("--training-json", default=None, help="extra JSON merged into the 'training' field")
    a1.add_argument("--test-settings", default=None, help="JSON of test-time settings to export with (config.TEST_TIME_KEYS, "
                    "e.g. '{\"rpn_pre_nms_top_n_test\": 300}')")
    a3 = sub.add_parser("rebundle", help="re-export a sparkseg bundle's weights with this exporter")
    a3.add_argument("--bundle", required=True)
    a3.add_argument("--out", required=True)
    a3.add_argument("--version", required=True)
    a3.add_argument("--test-settings", default=None, help="JSON of test-time settings to change (as for checkpoint)")
    a2 = sub.add_parser("torchvision", help="convert a torchvision maskrcnn_*/keypointrcnn_* state_dict")
    a2.add_argument("--arch", required=True, choices=TV_ARCHS)
    a2.add_argument("--state-dict", required=True)
    a2.add_argument("--categories", required=True)
    a2.add_argument("--out", required=True)
    a2.add_argument("--min-size", type=int, default=800)
    a2.add_argument("--max-size", type=int, default=1333)
    a2.add_argument("--name", default=None)
    a2.add_argument("--version", default="1.0.0")
    a2.add_argument("--detections-per-img", type=int, default=100)
    a2.add_argument("--rpn-post-nms-top-n", type=int, default=1000)
    add_detectron2_command(sub)
    a = ap.parse_args(argv)
    if a.cmd == "detectron2":
        meta = run_detectron2_command(a)
    elif a.cmd == "checkpoint":
        extra = json.loads(a.training_json) if a.training_json else None
        meta = export_checkpoint(a.checkpoint, a.out, a.name, a.version, extra,
                                 json.loads(a.test_settings) if a.test_settings else None)
    elif a.cmd == "rebundle":
        if os.path.abspath(a.bundle) == os.path.abspath(a.out):
            raise SystemExit("--out must differ from --bundle (the weights are read from it)")
        meta = rebundle(a.bundle, a.out, a.version, json.loads(a.test_settings) if a.test_settings else None)
    else:
        meta = export_torchvision(a.arch, a.state_dict, a.categories, a.out, a.min_size, a.max_size, a.name,
                                  a.version, a.detections_per_img, a.rpn_post_nms_top_n)
    size = os.path.getsize(os.path.join(a.out, "model.pt"))
    print(f"wrote {a.out}/model.pt ({size / 1e6:.1f} MB, sha256 {meta['sha256']}) and model.json")


if __name__ == "__main__":
    main()
