import torch
import torchvision  # noqa: F401  (registers torch.ops.torchvision)

from sparkseg_models.ops import nms, roi_align


def _random_case(g, n_img=2, c=3):
    h = int(torch.randint(4, 33, (1,), generator=g))
    w = int(torch.randint(4, 33, (1,), generator=g))
    x = torch.randn(n_img, c, h, w, generator=g)
    k = 24
    scale = float(torch.rand(1, generator=g)) * 0.9 + 0.1
    # boxes partly (or fully) outside the feature map, some tiny / degenerate
    xy = torch.rand(k, 2, generator=g) * torch.tensor([w, h]) / scale * 1.5 - 6 / scale
    wh = torch.rand(k, 2, generator=g) * torch.tensor([w, h]) / scale
    wh[:3] = 0.0
    wh[3:6] *= 0.05
    boxes = torch.cat([torch.randint(0, n_img, (k, 1), generator=g).float(), xy, xy + wh], 1)
    return x, boxes, scale


def test_roi_align_matches_torchvision():
    g = torch.Generator().manual_seed(1234)
    worst = 0.0
    for _ in range(25):
        x, boxes, scale = _random_case(g)
        for aligned in (False, True):
            for sr in (-1, 0, 1, 2, 3):
                for out in ((7, 7), (5, 3), (14, 14)):
                    ref = torch.ops.torchvision.roi_align(x, boxes, scale, out[0], out[1], sr, aligned)
                    got = roi_align(x, boxes, out, scale, sr, aligned)
                    assert got.shape == ref.shape
                    worst = max(worst, (ref - got).abs().max().item())
    assert worst < 1e-4, worst


def test_roi_align_empty_and_scripted():
    s = torch.jit.script(roi_align)
    x = torch.randn(1, 2, 8, 8)
    assert s(x, torch.zeros(0, 5), (7, 7), 1.0, 2, False).shape == (0, 2, 7, 7)
    b = torch.tensor([[0, 1.0, 1.0, 6.0, 5.0]])
    ref = torch.ops.torchvision.roi_align(x, b, 1.0, 7, 7, 2, False)
    assert (s(x, b, (7, 7), 1.0, 2, False) - ref).abs().max() < 1e-5


def test_nms_matches_torchvision_with_ties_and_duplicates():
    g = torch.Generator().manual_seed(99)
    for t in range(300):
        n = int(torch.randint(1, 80, (1,), generator=g))
        xy = torch.rand(n, 2, generator=g) * 60
        wh = torch.rand(n, 2, generator=g) * 40
        boxes = torch.cat([xy, xy + wh], 1)
        if t % 2:
            boxes = boxes.round()              # many exact-IoU ties
        scores = (torch.rand(n, generator=g) * 5).round() / 5   # score ties
        if t % 3 == 0:                          # exact duplicates
            boxes = torch.cat([boxes, boxes[: n // 2]])
            scores = torch.cat([scores, scores[: n // 2]])
        thr = float(torch.rand(1, generator=g))
        ref = torch.ops.torchvision.nms(boxes, scores, thr)
        got = nms(boxes, scores, thr)
        assert torch.equal(ref, got), (t, ref, got)


def test_nms_empty_and_scripted():
    s = torch.jit.script(nms)
    assert s(torch.zeros(0, 4), torch.zeros(0), 0.5).numel() == 0
    b = torch.tensor([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30.0]])
    assert s(b, torch.tensor([0.9, 0.8, 0.7]), 0.5).tolist() == [0, 2]
