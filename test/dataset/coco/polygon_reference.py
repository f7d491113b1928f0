"""A second, independent transcription of pycocotools' rleFrPoly (common/maskApi.c) in Python
with numpy, for cross-checking src/dataset/coco/polygon.ts: same integer casts (truncation toward
zero), same float arithmetic, arrays as in the C code instead of the TypeScript stream.

Reads [{"xy": [...], "h": H, "w": W}, ...] as JSON on stdin, writes the RLE counts of each as JSON.
"""
import json
import sys

import numpy as np


def rle_fr_poly(xy, h, w):
    scale = 5.0
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    k = len(pts)
    x = np.trunc(scale * pts[:, 0] + 0.5).astype(np.int64)
    y = np.trunc(scale * pts[:, 1] + 0.5).astype(np.int64)
    x = np.append(x, x[0])
    y = np.append(y, y[0])
    u, v = [], []
    for j in range(k):
        xs, xe, ys, ye = int(x[j]), int(x[j + 1]), int(y[j]), int(y[j + 1])
        dx, dy = abs(xe - xs), abs(ys - ye)
        flip = (dx >= dy and xs > xe) or (dx < dy and ys > ye)
        if flip:
            xs, xe, ys, ye = xe, xs, ye, ys
        if dx >= dy:
            s = (ye - ys) / dx if dx else 0.0
            for d in range(dx + 1):
                t = dx - d if flip else d
                u.append(t + xs)
                v.append(int(np.trunc(ys + s * t + 0.5)))
        else:
            s = (xe - xs) / dy
            for d in range(dy + 1):
                t = dy - d if flip else d
                v.append(t + ys)
                u.append(int(np.trunc(xs + s * t + 0.5)))
    a = []
    for j in range(1, len(u)):
        if u[j] == u[j - 1]:
            continue
        xd = float(u[j] if u[j] < u[j - 1] else u[j] - 1)
        xd = (xd + 0.5) / scale - 0.5
        if np.floor(xd) != xd or xd < 0 or xd > w - 1:
            continue
        yd = float(v[j] if v[j] < v[j - 1] else v[j - 1])
        yd = (yd + 0.5) / scale - 0.5
        yd = min(max(yd, 0.0), float(h))
        a.append(int(xd) * h + int(np.ceil(yd)))
    a.append(h * w)
    a = np.sort(np.asarray(a, dtype=np.int64))
    a = np.diff(np.concatenate([[0], a]))
    b = [int(a[0])]
    j = 1
    while j < len(a):
        if a[j] > 0:
            b.append(int(a[j]))
            j += 1
        else:
            j += 1
            if j < len(a):
                b[-1] += int(a[j])
                j += 1
    return b


if __name__ == "__main__":
    cases = json.load(sys.stdin)
    json.dump([rle_fr_poly(c["xy"], c["h"], c["w"]) for c in cases], sys.stdout)
