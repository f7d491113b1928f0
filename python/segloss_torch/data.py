"""The decoded dataset segloss wrote once (src/engine/torch/cache.ts), memory-mapped, and the
crops cut from it exactly as src/engine/batch.ts cuts them: HWC uint8 pixels of `size` x `size`
from (x0, y0), flipped, then (pixel - mean) / std per channel computed in float64 and rounded to
float32 (a 256-entry table per channel holds those values)."""
import json
import os

import numpy as np


class DataCache:
    def __init__(self, folder):
        with open(os.path.join(folder, "header.json"), "r", encoding="utf-8") as handle:
            header = json.load(handle)
        if header.get("format") != 1:
            raise ValueError("unknown data cache format %r" % header.get("format"))
        self.header = header
        self.num_classes = int(header["numClasses"])
        self.ignore_index = header["ignoreIndex"]
        self.channels = int(header["channels"])
        mean = np.asarray(header["normalisation"]["mean"], dtype=np.float64)
        std = np.asarray(header["normalisation"]["std"], dtype=np.float64)
        values = np.arange(256, dtype=np.float64)
        # table[c, v] = float32((v - mean[c]) / std[c]): the same rounding as the TypeScript cut.
        self.table = ((values[None, :] - mean[:, None]) / std[:, None]).astype(np.float32)
        size = os.path.getsize(os.path.join(folder, "data.bin"))
        self.blob = np.memmap(os.path.join(folder, "data.bin"), dtype=np.uint8, mode="r", shape=(size,)) if size else np.zeros(0, np.uint8)
        label_dtype = np.dtype(header["labelDtype"])
        self.train = [self._image(entry, label_dtype) for entry in header["train"]]
        self.val = [self._image(entry, label_dtype) for entry in header["val"]]

    def _image(self, entry, label_dtype):
        h, w, c = int(entry["height"]), int(entry["width"]), self.channels
        pixels = self.blob[entry["pixels"]: entry["pixels"] + h * w * c].reshape(h, w, c)
        labels = self.blob[entry["labels"]: entry["labels"] + h * w * label_dtype.itemsize].view(label_dtype).reshape(h, w)
        return pixels, labels

    def normalise(self, pixels):
        """HWC (or NHWC) uint8 -> float32 normalised, channel by channel through the table."""
        out = np.empty(pixels.shape, dtype=np.float32)
        for c in range(self.channels):
            out[..., c] = self.table[c][pixels[..., c]]
        return out

    def batch(self, crops, size):
        """NHWC float32 images and NHW int64 labels of a planned batch: crops are [image, x0, y0, flipX, flipY]."""
        n = len(crops)
        pixels = np.empty((n, size, size, self.channels), dtype=np.uint8)
        labels = np.empty((n, size, size), dtype=np.int64)
        for slot, (index, x0, y0, flip_x, flip_y) in enumerate(crops):
            if not (0 <= index < len(self.train)):
                raise ValueError("crop names train image %d of %d" % (index, len(self.train)))
            image, label = self.train[index]
            if x0 < 0 or y0 < 0 or x0 + size > image.shape[1] or y0 + size > image.shape[0]:
                raise ValueError("crop %r of %dpx does not fit its image" % ([index, x0, y0, flip_x, flip_y], size))
            p = image[y0: y0 + size, x0: x0 + size]
            t = label[y0: y0 + size, x0: x0 + size]
            if flip_y:
                p, t = p[::-1], t[::-1]
            if flip_x:
                p, t = p[:, ::-1], t[:, ::-1]
            pixels[slot] = p
            labels[slot] = t
        return self.normalise(pixels), labels

    def padded_val(self, index, multiple):
        """Val image `index` normalised and zero-padded (the channel mean) to a multiple of `multiple`, HWC."""
        image, _ = self.val[index]
        h, w = image.shape[:2]
        pad_h, pad_w = -(-h // multiple) * multiple, -(-w // multiple) * multiple
        out = np.zeros((pad_h, pad_w, self.channels), dtype=np.float32)
        out[:h, :w] = self.normalise(image)
        return out
