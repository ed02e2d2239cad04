"""COCO conventions used across sparkseg_models: categories, keypoints, RLE helpers (numpy only)."""
from __future__ import annotations

import numpy as np

KEYPOINT_NAMES = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
]
# COCO skeleton, 1-based keypoint indices (as in person_keypoints_*.json)
SKELETON = [
    [16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7],
    [6, 8], [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5],
    [4, 6], [5, 7],
]
# COCO OKS sigmas (pycocotools COCOeval.Params.kpt_oks_sigmas)
SIGMAS = [0.026, 0.025, 0.025, 0.035, 0.035, 0.079, 0.079, 0.072, 0.072,
          0.062, 0.062, 0.107, 0.107, 0.087, 0.087, 0.089, 0.089]


def mirror_index(names) -> list:
    """For each keypoint, the index of the keypoint it becomes under a horizontal flip: ``left_*`` and
    ``right_*`` swap, any other name maps to itself. A ``left_*`` without its ``right_*`` is an error (the flip
    would mislabel it)."""
    pos = {n: i for i, n in enumerate(names)}
    out = []
    for n in names:
        side = next((a for a in ("left_", "right_") if n.startswith(a)), None)
        if side is None:
            out.append(pos[n])
            continue
        twin = ("right_" if side == "left_" else "left_") + n[len(side):]
        if twin not in pos:
            raise ValueError(f"keypoint '{n}' has no mirror keypoint '{twin}': cannot flip")
        out.append(pos[twin])
    return out


# index permutation applied to keypoints under a horizontal flip (left <-> right)
FLIP_INDEX = mirror_index(KEYPOINT_NAMES)

# (coco id, name, supercategory); the model's contiguous label = position + 1
CATEGORIES = [
    (1, "person", "person"),
    (2, "bicycle", "vehicle"),
    (3, "car", "vehicle"),
    (18, "dog", "animal"),
    (44, "bottle", "kitchen"),
    (62, "chair", "furniture"),
]
CAT_ID_TO_LABEL = {cid: i + 1 for i, (cid, _, _) in enumerate(CATEGORIES)}
LABEL_TO_CAT_ID = {i + 1: cid for i, (cid, _, _) in enumerate(CATEGORIES)}


def coco_categories():
    """Category records for a COCO json (person carries keypoints + skeleton)."""
    out = []
    for cid, name, sup in CATEGORIES:
        rec = {"id": cid, "name": name, "supercategory": sup}
        if cid == 1:
            rec["keypoints"] = list(KEYPOINT_NAMES)
            rec["skeleton"] = [list(s) for s in SKELETON]
        out.append(rec)
    return out


# ---------------------------------------------------------------- RLE (pycocotools-compatible)
def mask_score(score: float, pasted_probs, threshold: float = 0.5) -> float:
    """The instance's mask score as sparkseg writes it (Java ``Instance.maskScore``): the class
    score times the mean pasted probability of the mask's foreground pixels (``> threshold``), 0
    for an empty mask.  ``pasted_probs`` is the image-sized probability map (numpy or torch)."""
    p = np.asarray(pasted_probs, dtype=np.float64)
    fg = p[p > threshold]
    return float(score) * float(fg.mean()) if fg.size else 0.0


def rle_encode(mask: np.ndarray) -> list:
    """Uncompressed COCO RLE counts of a HxW binary mask (column-major runs, first run = zeros)."""
    flat = np.asarray(mask, dtype=bool).ravel(order="F")
    n = flat.size
    if n == 0:
        return [0]
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate([[0], change, [n]])
    runs = np.diff(bounds).tolist()
    if flat[0]:
        runs = [0] + runs
    return [int(r) for r in runs]


def rle_decode(counts, h: int, w: int) -> np.ndarray:
    if isinstance(counts, str):
        counts = rle_string_to_counts(counts)
    flat = np.zeros(h * w, dtype=np.uint8)
    pos = 0
    val = 0
    for c in counts:
        if val:
            flat[pos:pos + c] = 1
        pos += c
        val ^= 1
    return flat.reshape((w, h)).T.copy()


def rle_counts_to_string(counts) -> str:
    """pycocotools rleToString (the LEB128-like 'compressed' RLE)."""
    out = []
    for i, x in enumerate(counts):
        x = int(x)
        if i > 2:
            x -= int(counts[i - 2])
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def rle_string_to_counts(s: str) -> list:
    counts = []
    p = 0
    while p < len(s):
        x = 0
        k = 0
        more = True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def mask_bbox(mask: np.ndarray) -> list:
    """pycocotools toBbox: [x, y, w, h] of the mask extent ([0,0,0,0] when empty)."""
    ys = np.flatnonzero(mask.any(axis=1))
    xs = np.flatnonzero(mask.any(axis=0))
    if ys.size == 0:
        return [0.0, 0.0, 0.0, 0.0]
    return [float(xs[0]), float(ys[0]), float(xs[-1] + 1 - xs[0]), float(ys[-1] + 1 - ys[0])]


def ann_to_mask(ann: dict, h: int, w: int) -> np.ndarray:
    seg = ann["segmentation"]
    if isinstance(seg, dict):
        return rle_decode(seg["counts"], h, w)
    raise ValueError("only RLE segmentations are produced by sparkseg_models")
