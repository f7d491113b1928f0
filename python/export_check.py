"""Runs `segloss export` snippets under real torch, for the tests (test/report/export-torch.test.ts).

Why: the snippet that `segloss export --to pytorch` writes is the loss `segloss verify --backend torch`
trains, and it must equal the TypeScript loss library (value and gradient). This harness imports each
snippet as a module, exactly as a user (or the verify runner) would, and evaluates it on the batches
the test sends, all in one process so that torch starts once.

Input (JSON on stdin):
  {"snippets": [{"id": str, "code": str}],
   "losses": [{"snippet": id, "shape": [N, H, W, C], "logits": [NHWC floats], "labels": [NHW ints]}],
   "areas": [{"snippet": id, "shape": [N, H, W], "labels": [NHW ints]}],
   "train": [snippet ids]}
Output (JSON on stdout):
  {"torch": version, "snippets": {id: "ok" | "syntax-only: <why>" | "error: <message>"},
   "losses": [{"value": float, "grad": [NHWC floats]} | {"error": str}] (NaN and infinities as strings),
   "areas": [[int per image] | {"error": str}],
   "train": [{"losses": [float, float]} | {"error": str}]}
Only the standard library, numpy and torch are used.
"""
import ast
import importlib.util
import json
import math
import os
import sys
import tempfile
import traceback

import numpy as np
import torch


def load_snippets(snippets, folder):
    modules, status = {}, {}
    for index, snippet in enumerate(snippets):
        sid = snippet["id"]
        try:
            ast.parse(snippet["code"])
        except SyntaxError as error:
            status[sid] = f"error: syntax: {error}"
            continue
        path = os.path.join(folder, f"segloss_snippet_{index}.py")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(snippet["code"])
        spec = importlib.util.spec_from_file_location(f"segloss_snippet_{index}", path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except ModuleNotFoundError as error:
            status[sid] = f"syntax-only: {error.name} is not installed"
            continue
        except Exception:  # noqa: BLE001 - reported to the test, which fails on it
            status[sid] = "error: " + traceback.format_exc(limit=3)
            continue
        modules[sid] = module
        status[sid] = "ok"
    return modules, status


def evaluate_loss(module, request):
    n, h, w, c = request["shape"]
    logits_nhwc = torch.tensor(request["logits"], dtype=torch.float32).reshape(n, h, w, c)
    logits = logits_nhwc.permute(0, 3, 1, 2).contiguous().requires_grad_(True)
    target = torch.tensor(request["labels"], dtype=torch.int64).reshape(n, h, w)
    loss = module.compute_loss(logits, target)
    if loss.dim() != 0:
        raise ValueError(f"compute_loss returned shape {tuple(loss.shape)}, not a scalar")
    (grad,) = torch.autograd.grad(loss, logits)
    return {"value": float(loss), "grad": grad.permute(0, 2, 3, 1).reshape(-1).tolist()}


def train_twice(module):
    """Two train_step calls on a tiny conv model with the snippet's optimiser and scheduler."""
    torch.manual_seed(0)
    classes = module.NUM_CLASSES
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, classes, 1))
    optimizer = module.make_optimizer(model)
    scheduler = module.make_scheduler(optimizer, 10)
    images = torch.randn(2, 3, 16, 16)
    masks = torch.randint(0, classes, (2, 16, 16))
    masks[0, :4] = module.IGNORE_INDEX if module.IGNORE_INDEX >= 0 else 0
    losses = [float(module.train_step(model, images, masks, optimizer, scheduler)) for _ in range(2)]
    return {"losses": losses}


def json_safe(value):
    """NaN and infinities as the strings "nan", "inf", "-inf" (JSON has no literal for them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    return value


def guarded(function, *args):
    try:
        return function(*args)
    except Exception:  # noqa: BLE001 - reported per request
        return {"error": traceback.format_exc(limit=4)}


def main():
    request = json.load(sys.stdin)
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="segloss-export-check-") as folder:
        modules, status = load_snippets(request.get("snippets", []), folder)

        def with_module(sid, function, *args):
            if sid not in modules:
                return {"error": f"snippet {sid} not loaded: {status.get(sid, 'unknown id')}"}
            return guarded(function, modules[sid], *args)

        losses = [with_module(r["snippet"], evaluate_loss, r) for r in request.get("losses", [])]
        areas = [
            with_module(r["snippet"], lambda m, r=r: m.smallest_object_areas(np.asarray(r["labels"]).reshape(r["shape"])).tolist())
            for r in request.get("areas", [])
        ]
        train = [with_module(sid, train_twice) for sid in request.get("train", [])]
    result = {"torch": torch.__version__, "snippets": status, "losses": losses, "areas": areas, "train": train}
    json.dump(json_safe(result), sys.stdout, allow_nan=False)


if __name__ == "__main__":
    main()
