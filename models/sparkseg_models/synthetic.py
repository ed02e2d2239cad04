"""Deterministic synthetic COCO-format instance segmentation + person keypoint data set.

Every image i of a split with seed s is drawn from ``numpy.random.default_rng([s, i])`` only, so a
split is reproducible image by image, independent of how many images are generated.

Objects are simple drawn figures of six real COCO categories (person=1, bicycle=2, car=3, dog=18,
bottle=44, chair=62).  Persons are articulated limb figures facing the viewer (their left side is on
the image's right, as in COCO) that carry the 17 COCO keypoints at their joints.  Objects drawn later
occlude earlier ones; each annotation's mask is its *visible* pixels; keypoint visibility is 2 when
the joint pixel is visible, 1 when it is covered by a later object, 0 (and x=y=0) when outside the
image.  Some images hold a crowd region: a cluster of small objects annotated once with iscrowd=1
and an uncompressed RLE.  Non-crowd masks are written as compressed RLE strings (pycocotools format).

CLI:  python -m sparkseg_models.synthetic --out DIR --num N --seed S [--prefix val]
"""
from __future__ import annotations

import argparse
import json
import math
import os

import numpy as np
from PIL import Image, ImageDraw

from .coco import (KEYPOINT_NAMES, coco_categories, mask_bbox, rle_counts_to_string, rle_encode)

CAT_WEIGHTS = {1: 0.36, 2: 0.11, 3: 0.14, 18: 0.14, 44: 0.12, 62: 0.13}
MIN_VISIBLE_PIXELS = 12


# ---------------------------------------------------------------- small drawing helpers
def _rgb(rng, base, jitter=25):
    c = np.asarray(base, dtype=np.float64) + rng.normal(0, jitter, 3)
    return tuple(int(v) for v in np.clip(c, 0, 255))


def _rand_color(rng, lo=20, hi=235):
    return tuple(int(v) for v in rng.integers(lo, hi, 3))


def _limb(draw, p, q, width, fill):
    width = max(2, int(round(width)))
    draw.line([tuple(p), tuple(q)], fill=fill, width=width)
    r = width / 2.0
    for c in (p, q):
        draw.ellipse([c[0] - r, c[1] - r, c[0] + r, c[1] + r], fill=fill)


def _circle(draw, c, r, fill):
    draw.ellipse([c[0] - r, c[1] - r, c[0] + r, c[1] + r], fill=fill)


def _rot(points, center, angle):
    ca, sa = math.cos(angle), math.sin(angle)
    out = []
    for x, y in points:
        dx, dy = x - center[0], y - center[1]
        out.append((center[0] + ca * dx - sa * dy, center[1] + sa * dx + ca * dy))
    return out


class Canvas:
    """One object's part-index canvas: pixel value = part index (1..), 0 = not this object."""

    def __init__(self, w, h):
        self.img = Image.new("L", (w, h), 0)
        self.draw = ImageDraw.Draw(self.img)
        self.colors = [(0, 0, 0)]

    def part(self, color):
        self.colors.append(color)
        return len(self.colors) - 1


# ---------------------------------------------------------------- figures
def draw_person(rng, cv: Canvas, cx, top, height):
    """Articulated person facing the viewer; returns 17x2 keypoint coordinates."""
    hgt = float(height)
    squash = rng.uniform(0.85, 1.2)
    r = 0.068 * hgt
    head = (cx, top + r)
    y_sh = top + 0.2 * hgt
    sw = 0.11 * hgt * squash
    y_hip = top + 0.52 * hgt
    hw = 0.075 * hgt * squash
    lsh, rsh = (cx + sw, y_sh), (cx - sw, y_sh)      # person's left is the image's right
    lhip, rhip = (cx + hw, y_hip), (cx - hw, y_hip)

    def chain(start, a1, a2, l1, l2):
        p1 = (start[0] + l1 * math.sin(a1), start[1] + l1 * math.cos(a1))
        p2 = (p1[0] + l2 * math.sin(a2), p1[1] + l2 * math.cos(a2))
        return p1, p2

    ua, fa = 0.17 * hgt, 0.155 * hgt
    # arm angles measured from "straight down", positive = towards the image's right
    a_l = rng.uniform(-0.2, 2.6)
    a_r = -rng.uniform(-0.2, 2.6)
    lel, lwr = chain(lsh, a_l, a_l + rng.uniform(-1.6, 1.6), ua, fa)
    rel, rwr = chain(rsh, a_r, a_r + rng.uniform(-1.6, 1.6), ua, fa)
    th, sh = 0.245 * hgt, 0.235 * hgt
    k_l = rng.uniform(-0.15, 0.7)
    k_r = -rng.uniform(-0.15, 0.7)
    lkn, lan = chain(lhip, k_l, k_l + rng.uniform(-0.6, 0.6), th, sh)
    rkn, ran = chain(rhip, k_r, k_r + rng.uniform(-0.6, 0.6), th, sh)
    nose = (head[0], head[1] + 0.15 * r)
    leye, reye = (head[0] + 0.38 * r, head[1] - 0.22 * r), (head[0] - 0.38 * r, head[1] - 0.22 * r)
    lear, rear = (head[0] + 0.86 * r, head[1]), (head[0] - 0.86 * r, head[1])
    kps = [nose, leye, reye, lear, rear, lsh, rsh, lel, rel, lwr, rwr, lhip, rhip, lkn, rkn, lan, ran]

    lean = rng.uniform(-0.25, 0.25)
    pivot = (cx, y_hip)
    kps = _rot(kps, pivot, lean)
    (nose, leye, reye, lear, rear, lsh, rsh, lel, rel, lwr, rwr, lhip, rhip, lkn, rkn, lan, ran) = kps
    head = _rot([head], pivot, lean)[0]

    skin = _rgb(rng, [(224, 182, 150), (170, 120, 90), (110, 75, 50)][rng.integers(3)], 15)
    shirt = _rand_color(rng)
    pants = _rand_color(rng, 10, 160)
    d = cv.draw
    leg_w, arm_w = 0.075 * hgt, 0.055 * hgt
    pid = cv.part(pants)
    for a, b, c in ((lhip, lkn, lan), (rhip, rkn, ran)):
        _limb(d, a, b, leg_w, pid)
        _limb(d, b, c, leg_w * 0.9, pid)
    sid = cv.part(shirt)
    d.polygon([tuple(p) for p in (lsh, rsh, rhip, lhip)], fill=sid)
    _limb(d, lsh, rsh, arm_w * 1.3, sid)
    _limb(d, lhip, rhip, leg_w, pid)
    neck = cv.part(skin)
    _limb(d, head, ((lsh[0] + rsh[0]) / 2, (lsh[1] + rsh[1]) / 2), 0.07 * hgt, neck)
    for a, b, c in ((lsh, lel, lwr), (rsh, rel, rwr)):
        _limb(d, a, b, arm_w, sid)
        _limb(d, b, c, arm_w * 0.85, neck)
    _circle(d, head, r, neck)
    hair = cv.part(_rgb(rng, (40, 30, 20), 20))
    d.chord([head[0] - r, head[1] - r, head[0] + r, head[1] + r], 180, 360, fill=hair)
    eye = cv.part((20, 20, 20))
    er = max(0.8, 0.12 * r)
    _circle(d, leye, er, eye)
    _circle(d, reye, er, eye)
    mouth = cv.part((150, 50, 50))
    _circle(d, (nose[0], nose[1] + 0.35 * r), er, mouth)
    return np.asarray(kps, dtype=np.float64)


def draw_car(rng, cv, cx, cy, width):
    w = width
    h = w * rng.uniform(0.42, 0.55)
    x0, y0 = cx - w / 2, cy - h / 2
    body = cv.part(_rand_color(rng))
    cab_l, cab_r = x0 + w * rng.uniform(0.18, 0.3), x0 + w * rng.uniform(0.68, 0.8)
    cv.draw.polygon([(cab_l, y0 + 0.45 * h), (cab_l + 0.1 * w, y0), (cab_r - 0.08 * w, y0), (cab_r, y0 + 0.45 * h)],
                    fill=body)
    cv.draw.rounded_rectangle([x0, y0 + 0.4 * h, x0 + w, y0 + 0.82 * h], radius=max(1, int(0.08 * h)), fill=body)
    win = cv.part(_rgb(rng, (170, 200, 225), 20))
    cv.draw.polygon([(cab_l + 0.04 * w, y0 + 0.42 * h), (cab_l + 0.12 * w, y0 + 0.08 * h),
                     (cab_r - 0.1 * w, y0 + 0.08 * h), (cab_r - 0.03 * w, y0 + 0.42 * h)], fill=win)
    wheel = cv.part((25, 25, 25))
    rim = cv.part((160, 160, 165))
    wr = 0.13 * w
    for fx in (0.22, 0.78):
        c = (x0 + fx * w, y0 + 0.82 * h)
        _circle(cv.draw, c, wr, wheel)
        _circle(cv.draw, c, wr * 0.45, rim)
    light = cv.part((250, 230, 120))
    side = x0 + w - 0.05 * w if rng.random() < 0.5 else x0 + 0.01 * w
    cv.draw.rectangle([side, y0 + 0.48 * h, side + 0.04 * w, y0 + 0.58 * h], fill=light)


def draw_bicycle(rng, cv, cx, cy, width):
    w = width
    wr = 0.24 * w
    lw = max(2, int(0.055 * w))
    tire = cv.part((20, 20, 20))
    c1, c2 = (cx - w / 2 + wr, cy + 0.1 * w), (cx + w / 2 - wr, cy + 0.1 * w)
    for c in (c1, c2):
        cv.draw.ellipse([c[0] - wr, c[1] - wr, c[0] + wr, c[1] + wr], outline=tire, width=lw)
    frame = cv.part(_rand_color(rng))
    crank = (cx - 0.03 * w, c1[1])
    seat = (cx - 0.1 * w, cy - 0.28 * w)
    head = (c2[0] - 0.12 * w, cy - 0.28 * w)
    fw = 0.045 * w
    for a, b in ((c1, crank), (crank, seat), (seat, c1), (crank, head), (seat, head), (head, c2)):
        _limb(cv.draw, a, b, fw, frame)
    _limb(cv.draw, (seat[0] - 0.08 * w, seat[1] - 0.03 * w), (seat[0] + 0.07 * w, seat[1] - 0.03 * w), fw * 1.4,
          cv.part((30, 30, 30)))
    _limb(cv.draw, head, (head[0] + 0.05 * w, head[1] - 0.1 * w), fw, frame)
    _limb(cv.draw, (head[0] - 0.02 * w, head[1] - 0.1 * w), (head[0] + 0.12 * w, head[1] - 0.1 * w), fw, frame)


def draw_dog(rng, cv, cx, cy, width):
    w = width
    h = 0.32 * w
    face = 1 if rng.random() < 0.5 else -1
    fur = cv.part(_rgb(rng, [(150, 100, 50), (60, 45, 35), (225, 200, 150), (200, 200, 195)][rng.integers(4)], 20))
    d = cv.draw
    d.ellipse([cx - 0.38 * w, cy - h / 2, cx + 0.38 * w, cy + h / 2], fill=fur)
    leg_w = 0.08 * w
    for fx in (-0.28, -0.16, 0.16, 0.28):
        _limb(d, (cx + fx * w, cy), (cx + fx * w + rng.uniform(-0.05, 0.05) * w, cy + 0.5 * w), leg_w, fur)
    hc = (cx + face * 0.4 * w, cy - 0.3 * w)
    _limb(d, (cx + face * 0.28 * w, cy - 0.05 * w), hc, 0.16 * w, fur)
    _circle(d, hc, 0.13 * w, fur)
    snout = cv.part(_rgb(rng, (120, 90, 70), 20))
    d.ellipse([hc[0] + face * 0.06 * w - 0.08 * w, hc[1] - 0.03 * w, hc[0] + face * 0.06 * w + 0.08 * w,
               hc[1] + 0.08 * w], fill=snout)
    ear = cv.part(_rgb(rng, (70, 50, 35), 15))
    d.polygon([(hc[0] - face * 0.08 * w, hc[1] - 0.06 * w), (hc[0] - face * 0.14 * w, hc[1] + 0.12 * w),
               (hc[0] - face * 0.01 * w, hc[1] + 0.02 * w)], fill=ear)
    _limb(d, (cx - face * 0.36 * w, cy - 0.05 * w),
          (cx - face * 0.52 * w, cy - rng.uniform(0.05, 0.3) * w), 0.05 * w, fur)
    nose = cv.part((15, 15, 15))
    _circle(d, (hc[0] + face * 0.16 * w, hc[1] + 0.01 * w), 0.025 * w, nose)
    _circle(d, (hc[0] + face * 0.04 * w, hc[1] - 0.04 * w), 0.018 * w, nose)


def draw_bottle(rng, cv, cx, cy, height):
    hgt = height
    bw = hgt * rng.uniform(0.26, 0.36)
    glass = cv.part(_rgb(rng, [(40, 120, 50), (110, 60, 20), (90, 150, 200), (200, 200, 210)][rng.integers(4)], 20))
    top = cy - hgt / 2
    d = cv.draw
    d.rounded_rectangle([cx - bw / 2, top + 0.35 * hgt, cx + bw / 2, top + hgt], radius=max(1, int(0.1 * bw)),
                        fill=glass)
    d.polygon([(cx - bw / 2, top + 0.38 * hgt), (cx - 0.17 * bw, top + 0.18 * hgt), (cx + 0.17 * bw, top + 0.18 * hgt),
               (cx + bw / 2, top + 0.38 * hgt)], fill=glass)
    d.rectangle([cx - 0.17 * bw, top + 0.05 * hgt, cx + 0.17 * bw, top + 0.2 * hgt], fill=glass)
    cap = cv.part(_rand_color(rng))
    d.rectangle([cx - 0.2 * bw, top, cx + 0.2 * bw, top + 0.07 * hgt], fill=cap)
    label = cv.part(_rand_color(rng, 120, 255))
    d.rectangle([cx - bw / 2, top + 0.55 * hgt, cx + bw / 2, top + 0.78 * hgt], fill=label)


def draw_chair(rng, cv, cx, cy, height):
    hgt = height
    w = hgt * rng.uniform(0.45, 0.6)
    wood = cv.part(_rgb(rng, [(140, 90, 45), (90, 55, 30), (200, 170, 120), (60, 60, 70)][rng.integers(4)], 20))
    d = cv.draw
    top = cy - hgt / 2
    face = 1 if rng.random() < 0.5 else -1
    back_x = cx - face * w / 2
    lw = 0.07 * w
    seat_y = top + 0.5 * hgt
    _limb(d, (back_x, top), (back_x, top + hgt), lw * 1.3, wood)
    _limb(d, (back_x + face * w * 0.18, top + 0.02 * hgt), (back_x + face * w * 0.18, seat_y), lw, wood)
    d.rectangle([min(back_x, back_x + face * 0.2 * w), top, max(back_x, back_x + face * 0.2 * w), top + 0.12 * hgt],
                fill=wood)
    cushion = cv.part(_rand_color(rng))
    d.polygon([(back_x, seat_y), (back_x + face * w, seat_y), (back_x + face * w * 1.05, seat_y + 0.08 * hgt),
               (back_x, seat_y + 0.08 * hgt)], fill=cushion)
    for fx in (0.35, 1.0):
        _limb(d, (back_x + face * w * fx, seat_y + 0.05 * hgt), (back_x + face * w * fx, top + hgt), lw, wood)


# ---------------------------------------------------------------- backgrounds / textures
def _background(rng, h, w):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = rng.uniform(0, 2 * np.pi)
    t = (np.cos(ang) * xx + np.sin(ang) * yy)
    t = (t - t.min()) / max(1e-6, t.max() - t.min())
    c1 = rng.uniform(0, 255, 3).astype(np.float32)
    c2 = rng.uniform(0, 255, 3).astype(np.float32)
    img = c1[None, None] * (1 - t[..., None]) + c2[None, None] * t[..., None]
    kind = rng.integers(4)
    if kind == 0:   # stripes
        f = rng.uniform(0.02, 0.2)
        a2 = rng.uniform(0, np.pi)
        s = np.sin(f * (np.cos(a2) * xx + np.sin(a2) * yy))
        img += (s[..., None] * rng.uniform(10, 40) * rng.choice([-1, 1], 3)).astype(np.float32)
    elif kind == 1:  # blotches: low-res noise upsampled
        gh, gw = rng.integers(3, 12, 2)
        low = rng.uniform(-60, 60, (gh, gw, 3)).astype(np.float32)
        up = np.asarray(Image.fromarray(np.uint8(low + 128)).resize((w, h), Image.BILINEAR), np.float32) - 128
        img += up
    elif kind == 2:  # clutter: random rectangles and circles that are not objects
        pil = Image.fromarray(np.uint8(np.clip(img, 0, 255)))
        d = ImageDraw.Draw(pil)
        for _ in range(rng.integers(3, 15)):
            x, y = rng.uniform(0, w), rng.uniform(0, h)
            s = rng.uniform(5, 60)
            if rng.random() < 0.5:
                d.rectangle([x, y, x + s, y + s * rng.uniform(0.3, 2)], fill=_rand_color(rng))
            else:
                d.ellipse([x, y, x + s, y + s], fill=_rand_color(rng))
        img = np.asarray(pil, np.float32)
    img += rng.normal(0, rng.uniform(2, 18), (h, w, 3)).astype(np.float32)
    return img


# ---------------------------------------------------------------- one image
def _draw_object(rng, cat, w, h, size):
    cv = Canvas(w, h)
    kps = None
    if cat == 1:
        cx = rng.uniform(0.05, 0.95) * w
        top = rng.uniform(-0.15 * size, h - 0.6 * size)
        kps = draw_person(rng, cv, cx, top, size)
    else:
        cx = rng.uniform(0.08, 0.92) * w
        cy = rng.uniform(0.1, 0.9) * h
        {2: draw_bicycle, 3: draw_car, 18: draw_dog, 44: draw_bottle, 62: draw_chair}[cat](rng, cv, cx, cy, size)
    return cv, kps


def _paint(rng, img, cv: Canvas):
    parts = np.asarray(cv.img)
    m = parts > 0
    if not m.any():
        return m
    pal = np.asarray(cv.colors, np.float32)
    ys, xs = np.nonzero(m)
    col = pal[parts[ys, xs]]
    # soft directional shading + noise so objects are not flat
    ang = rng.uniform(0, 2 * np.pi)
    sh = (np.cos(ang) * (xs - xs.mean()) + np.sin(ang) * (ys - ys.mean())) / max(8.0, float(np.ptp(xs) + np.ptp(ys)))
    col = col * (1 + rng.uniform(0.1, 0.5) * sh)[:, None] + rng.normal(0, rng.uniform(2, 10), col.shape)
    img[ys, xs] = col
    return m


def _object_size(rng, cat, w, h):
    small = rng.random() < 0.12
    base = min(w, h)
    if small:
        s = rng.uniform(14, 34)
    else:
        s = rng.uniform(0.28, 0.85) * base
    if cat == 1:
        return s * 1.3
    if cat in (2, 3, 18):
        return s * 1.1
    return s


def generate_image(seed: int, index: int):
    """Returns (uint8 HxWx3 RGB image, list of annotation dicts without ids)."""
    rng = np.random.default_rng([seed, index])
    h, w = (int(v) for v in rng.integers(256, 641, 2))
    img = _background(rng, h, w)
    id_map = np.zeros((h, w), np.int32)
    objs = []  # dicts: cat, kps, crowd
    cats = list(CAT_WEIGHTS)
    probs = np.asarray([CAT_WEIGHTS[c] for c in cats])
    probs = probs / probs.sum()
    n = int(rng.integers(1, 8))
    crowd_at = int(rng.integers(0, n + 1)) if rng.random() < 0.18 else -1
    for k in range(n + 1):
        if k == crowd_at:
            cat = int(rng.choice([1, 3, 44, 62]))
            region_w, region_h = rng.uniform(0.25, 0.6) * w, rng.uniform(0.15, 0.35) * h
            x0, y0 = rng.uniform(0, w - region_w), rng.uniform(0, h - region_h)
            oid = len(objs) + 1
            objs.append({"cat": cat, "kps": None, "crowd": True})
            for _ in range(int(rng.integers(6, 16))):
                size = rng.uniform(10, 26) * (1.3 if cat == 1 else 1.0)
                cv, _ = _draw_object(rng, cat, w, h, size)
                # move the small figure into the region by redrawing with an offset canvas
                arr = np.asarray(cv.img)
                ys, xs = np.nonzero(arr)
                if ys.size == 0:
                    continue
                dx = int(x0 + rng.uniform(0, region_w) - xs.mean())
                dy = int(y0 + rng.uniform(0, region_h) - ys.mean())
                shifted = np.zeros_like(arr)
                ys2, xs2 = ys + dy, xs + dx
                ok = (ys2 >= 0) & (ys2 < h) & (xs2 >= 0) & (xs2 < w)
                shifted[ys2[ok], xs2[ok]] = arr[ys[ok], xs[ok]]
                cv.img = Image.fromarray(shifted)
                m = _paint(rng, img, cv)
                id_map[m] = oid
            continue
        if k == n:
            continue
        cat = int(rng.choice(cats, p=probs))
        size = _object_size(rng, cat, w, h)
        cv, kps = _draw_object(rng, cat, w, h, size)
        m = _paint(rng, img, cv)
        oid = len(objs) + 1
        objs.append({"cat": cat, "kps": kps, "crowd": False})
        id_map[m] = oid
    img = np.clip(img, 0, 255).astype(np.uint8)

    anns = []
    for i, o in enumerate(objs):
        m = id_map == (i + 1)
        area = int(m.sum())
        if area < MIN_VISIBLE_PIXELS:
            continue
        counts = rle_encode(m)
        ann = {"category_id": o["cat"], "iscrowd": 1 if o["crowd"] else 0, "area": area, "bbox": mask_bbox(m)}
        if o["crowd"]:
            ann["segmentation"] = {"size": [h, w], "counts": counts}
        else:
            ann["segmentation"] = {"size": [h, w], "counts": rle_counts_to_string(counts)}
        if o["cat"] == 1:
            flat = [0] * (3 * len(KEYPOINT_NAMES))
            if o["kps"] is not None:
                for j, (x, y) in enumerate(o["kps"]):
                    xi, yi = int(math.floor(x)), int(math.floor(y))
                    if 0 <= xi < w and 0 <= yi < h:
                        v = 2 if id_map[yi, xi] == i + 1 else 1
                        flat[3 * j:3 * j + 3] = [round(float(x), 2), round(float(y), 2), v]
            ann["keypoints"] = flat
            ann["num_keypoints"] = sum(1 for j in range(len(KEYPOINT_NAMES)) if flat[3 * j + 2] > 0)
        anns.append(ann)
    return img, anns


def generate(out_dir: str, num: int, seed: int, prefix: str = "img", start: int = 0,
             images_subdir: str = "images", ann_file: str = "annotations.json", quality: int = 90):
    img_dir = os.path.join(out_dir, images_subdir)
    os.makedirs(img_dir, exist_ok=True)
    images, annotations = [], []
    for i in range(start, start + num):
        img, anns = generate_image(seed, i)
        h, w = img.shape[:2]
        name = f"{prefix}_{i:06d}.jpg"
        Image.fromarray(img).save(os.path.join(img_dir, name), quality=quality)
        image_id = i + 1
        images.append({"id": image_id, "file_name": name, "width": w, "height": h})
        for a in anns:
            a = dict(a)
            a["id"] = len(annotations) + 1
            a["image_id"] = image_id
            annotations.append(a)
    data = {
        "info": {"description": "sparkseg synthetic data", "seed": seed, "generator": "sparkseg_models.synthetic",
                 "version": 1},
        "images": images,
        "annotations": annotations,
        "categories": coco_categories(),
    }
    with open(os.path.join(out_dir, ann_file), "w") as f:
        json.dump(data, f, separators=(",", ":"))
    return data


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--num", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--prefix", default="img")
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--quality", type=int, default=90)
    ap.add_argument("--ann-file", default="annotations.json")
    ap.add_argument("--images-subdir", default="images")
    a = ap.parse_args(argv)
    data = generate(a.out, a.num, a.seed, a.prefix, a.start, a.images_subdir, a.ann_file, a.quality)
    print(f"wrote {len(data['images'])} images, {len(data['annotations'])} annotations to {a.out}")


if __name__ == "__main__":
    main()
