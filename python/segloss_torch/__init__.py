"""segloss's PyTorch runner: trains verify's candidate x seed runs on the user's torch.

Started by segloss (src/engine/torch) as `python -m segloss_torch`; speaks JSON lines on
stdin/stdout (see runner.py). Needs only the standard library, numpy and torch (>= 1.13).
Nothing here imports torch at package import time, so `segloss_torch.probe` can report a
missing torch instead of failing.
"""
