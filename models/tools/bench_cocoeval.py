"""Peer benchmark: pycocotools' COCOeval on a COCO annotation file and a results file, one iouType.

Run by `sparkseg bench eval --peer-python ... --peer-path DIR` (one process per iouType, timed and
measured from outside); pycocotools is imported from DIR, a local build that is not part of
sparkseg. Prints the 10 or 12 summary stats as one JSON line:

  /usr/bin/python3 models/tools/bench_cocoeval.py --pycocotools PYCOCOTOOLS_BUILD_DIR \
      --gt gt.json --results results.json --iou-type segm
"""
import argparse
import contextlib
import json
import sys


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pycocotools", required=True, help="folder that holds the pycocotools package")
    ap.add_argument("--gt", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--iou-type", required=True, choices=["bbox", "segm", "keypoints"])
    a = ap.parse_args()
    sys.path.insert(0, a.pycocotools)
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    # pycocotools' progress lines go to stderr: stdout carries only the stats
    with contextlib.redirect_stdout(sys.stderr):
        gt = COCO(a.gt)
        dt = gt.loadRes(a.results)
        ev = COCOeval(gt, dt, a.iou_type)
        if a.iou_type == "keypoints":
            # only the categories that declare keypoints, as sparkseg evaluates keypoints
            ev.params.catIds = sorted(c["id"] for c in gt.loadCats(gt.getCatIds()) if c.get("keypoints"))
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    print(json.dumps({"stats": [float(s) for s in ev.stats]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
