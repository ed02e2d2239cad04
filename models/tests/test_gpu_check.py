"""models/tools/gpu_check.py in its CPU dry-run mode: the whole script (CPU reference, parity check per batch size,
fp16 variants made by the exporter and loaded, the ResNet-50 conversion) on two sample images."""
import importlib.util
import json
import os

import torch

TOOL = os.path.join(os.path.dirname(__file__), "..", "tools", "gpu_check.py")


def _tool():
    spec = importlib.util.spec_from_file_location("gpu_check", TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_dry_run_checks_parity_and_measures_both_bundles(tmp_path):
    out = tmp_path / "r.json"
    assert _tool().main(["--dry-run", "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["device"] == "cpu" and r["dry_run"] and r["ok"]
    embedded, r50 = r["bundles"]
    assert [(x["precision"], x["batch"]) for x in embedded["runs"]] == [("fp32", 1), ("fp32", 2)]
    for run in embedded["runs"]:
        assert run["ok"] and run["images_per_second"] > 0
        assert run["parity"]["compared"] >= 1 and run["parity"]["worst_box_px"] <= 1.0
    assert all(x["images_per_second"] > 0 for x in r50["runs"])
    # fp16 is made and loaded on the CPU, and said to be skipped: it runs on CUDA only
    assert sum("fp16" in s and "CUDA only" in s for s in r["skipped"]) == 2, r["skipped"]


def test_compare_flags_a_moved_box_a_changed_label_and_a_missing_detection():
    tool = _tool()
    mask = torch.zeros(1, 1, 28, 28)
    mask[0, 0, 4:20, 4:20] = 1.0
    ref = {"boxes": torch.tensor([[10.0, 10.0, 50.0, 60.0]]), "scores": torch.tensor([0.9]),
           "labels": torch.tensor([1]), "masks": mask}
    same = tool.compare(ref, dict(ref), 1.0, 0.5)
    assert same["compared"] == 1 and not same["problems"]
    moved = dict(ref, boxes=torch.tensor([[10.0, 10.0, 52.0, 60.0]]), labels=torch.tensor([2]))
    problems = tool.compare(ref, moved, 1.0, 0.5)["problems"]
    assert any("label 2" in p for p in problems) and any("px apart" in p for p in problems)
    empty = {k: v[:0] for k, v in ref.items()}
    assert tool.compare(ref, empty, 1.0, 0.5)["problems"]


def test_without_cuda_it_says_so_and_exits_2(capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert _tool().main(["--no-resnet50"]) == 2
    assert "no CUDA device" in capsys.readouterr().out
