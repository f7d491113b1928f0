"""The plain PyTorch training loop bench:train compares the torch runner with (issue 19): the same
U-Net (python/segloss_torch/models.py, instance norm), batch, classes, Adam and CE, on tensors made
once, with nothing else in the loop. A JSON line per request on stdin,
{"steps", "size", "batch", "classes"}, gets {"seconds"} (the loop's own wall time) on stdout.
Arguments: THREADS DEVICE.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F

from segloss_torch.models import UNet


def main():
    threads, device = int(sys.argv[1]), torch.device(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    models = {}
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        size, batch, classes = int(request["size"]), int(request["batch"]), int(request["classes"])
        key = (size, batch, classes)
        if key not in models:
            model = UNet(classes, 3, 3, 16).to(device)
            x = torch.randn(batch, 3, size, size, device=device)
            y = torch.randint(0, classes, (batch, size, size), device=device)
            models[key] = (model, torch.optim.Adam(model.parameters(), lr=1e-3), x, y)
        model, optimizer, x, y = models[key]
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(int(request["steps"])):
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        print(json.dumps({"seconds": time.perf_counter() - start}), flush=True)


main()
