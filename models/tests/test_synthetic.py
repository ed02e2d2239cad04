import json
import os

import numpy as np

from sparkseg_models import synthetic
from sparkseg_models.coco import (KEYPOINT_NAMES, SIGMAS, SKELETON, mask_bbox, rle_counts_to_string,
                                  rle_decode, rle_encode, rle_string_to_counts)


def test_deterministic_by_seed():
    for i in range(4):
        a_img, a_ann = synthetic.generate_image(5, i)
        b_img, b_ann = synthetic.generate_image(5, i)
        assert np.array_equal(a_img, b_img)
        assert json.dumps(a_ann) == json.dumps(b_ann)
    c_img, _ = synthetic.generate_image(6, 0)
    d_img, _ = synthetic.generate_image(5, 0)
    assert c_img.shape != d_img.shape or not np.array_equal(c_img, d_img)


def test_cli_files_identical(tmp_path):
    d1, d2 = tmp_path / "a", tmp_path / "b"
    synthetic.main(["--out", str(d1), "--num", "3", "--seed", "11"])
    synthetic.main(["--out", str(d2), "--num", "3", "--seed", "11"])
    assert (d1 / "annotations.json").read_bytes() == (d2 / "annotations.json").read_bytes()
    for p in (d1 / "images").iterdir():
        assert p.read_bytes() == (d2 / "images" / p.name).read_bytes()


def test_ground_truth_self_consistent():
    seen_crowd = seen_person = seen_occluded_kp = 0
    for i in range(40):
        img, anns = synthetic.generate_image(123, i)
        h, w = img.shape[:2]
        assert 256 <= h <= 640 and 256 <= w <= 640
        union = np.zeros((h, w), bool)
        for a in anns:
            seg = a["segmentation"]
            assert seg["size"] == [h, w]
            m = rle_decode(seg["counts"], h, w).astype(bool)
            assert a["area"] == int(m.sum()) > 0
            assert a["bbox"] == mask_bbox(m)
            assert not (union & m).any(), "visible masks must not overlap"
            union |= m
            if a["iscrowd"]:
                seen_crowd += 1
                assert isinstance(seg["counts"], list)
            else:
                assert isinstance(seg["counts"], str)
            if a["category_id"] == 1:
                seen_person += 1
                kp = np.asarray(a["keypoints"], float).reshape(17, 3)
                assert a["num_keypoints"] == int((kp[:, 2] > 0).sum())
                assert set(np.unique(kp[:, 2])) <= {0, 1, 2}
                assert (kp[kp[:, 2] == 0, :2] == 0).all()
                on = kp[kp[:, 2] > 0]
                assert (on[:, 0] >= 0).all() and (on[:, 0] < w).all() and (on[:, 1] >= 0).all() and (on[:, 1] < h).all()
                for x, y, v in on:
                    if v == 2:
                        assert m[int(np.floor(y)), int(np.floor(x))]
                    else:
                        seen_occluded_kp += 1
                        assert not m[int(np.floor(y)), int(np.floor(x))]
                if a["iscrowd"]:
                    assert a["num_keypoints"] == 0
            else:
                assert "keypoints" not in a
    assert seen_crowd > 0 and seen_person > 0 and seen_occluded_kp > 0


def test_categories():
    cats = synthetic.coco_categories()
    person = [c for c in cats if c["id"] == 1][0]
    assert person["name"] == "person" and person["keypoints"] == KEYPOINT_NAMES and person["skeleton"] == SKELETON
    assert len(SIGMAS) == 17
    assert {c["id"] for c in cats} == {1, 2, 3, 18, 44, 62}


def test_rle_against_pycocotools_vectors():
    # ../shared beside the repository root, as the Java tests read it; missing vectors fail the test
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "coco-vectors",
                        "mask_vectors.json")
    vec = json.load(open(path))
    for m in vec["masks"]:
        arr = np.array([[int(c) for c in r] for r in m["rows"]], dtype=np.uint8).reshape(m["h"], m["w"])
        counts = rle_encode(arr)
        assert counts == m["counts_uncompressed"], m["name"]
        assert rle_counts_to_string(counts) == m["counts"], m["name"]
        assert rle_string_to_counts(m["counts"]) == counts
        assert np.array_equal(rle_decode(m["counts"], m["h"], m["w"]), arr)
        assert mask_bbox(arr) == [float(v) for v in m["bbox"]]
