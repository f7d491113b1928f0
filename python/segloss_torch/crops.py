"""Crops cut from tensors already in memory, with the values DataCache.batch gives (the same
uint8 pixels, flips and float32 normalisation table, so a run's numbers do not move), but
without a numpy round trip per step: the training images are torch tensors once, on the GPU when
they fit (verify's data is small), else in host memory; a batch is cut where the data lives, as
uint8, and copied (pinned, non-blocking) to the device only when the data is not already there,
then normalised on the device by a table look-up (the table is DataCache's, float32).
"""
import warnings

import numpy as np
import torch

# Share of the GPU's free memory the training images may take when uploaded once.
GPU_DATA_SHARE = 0.25


def _as_tensor(array):
    """A tensor over the memory-mapped bytes (no copy); the cache is never written to."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "the given NumPy array is not writable"
        return torch.from_numpy(array)


def _labels_tensor(labels):
    # torch 1.13 has no uint16: 16-bit label maps are held as int32 (exact), 8-bit ones as uint8.
    return _as_tensor(labels) if labels.dtype == np.uint8 else torch.from_numpy(labels.astype(np.int32))


def data_bytes(cache):
    return sum(p.nbytes + l.size * (1 if l.dtype == np.uint8 else 4) for p, l in cache.train)


def choose_data_device(cache, device):
    """Where the training images live: on a CUDA device when they take at most GPU_DATA_SHARE of its free memory."""
    if device.type != "cuda":
        return torch.device("cpu")
    free, _ = torch.cuda.mem_get_info(device)
    return device if data_bytes(cache) <= GPU_DATA_SHARE * free else torch.device("cpu")


class CropCutter:
    def __init__(self, cache, device, data_device=None):
        self.cache = cache
        self.device = device
        self.data_device = data_device if data_device is not None else choose_data_device(cache, device)
        self.images = [(_as_tensor(p).to(self.data_device), _labels_tensor(l).to(self.data_device)) for p, l in cache.train]
        channels = cache.channels
        # table.view(-1)[v + 256 c] = DataCache.table[c, v]
        self.table = torch.from_numpy(cache.table.copy()).reshape(-1).to(device)
        self.offsets = (torch.arange(channels, dtype=torch.int64) * 256).to(device)
        self.pin = self.data_device.type == "cpu" and device.type == "cuda"

    @property
    def on_device(self):
        return self.data_device == self.device

    def check(self, crops, size):
        for crop in crops:
            index, x0, y0 = crop[0], crop[1], crop[2]
            if not (0 <= index < len(self.images)):
                raise ValueError("crop names train image %d of %d" % (index, len(self.images)))
            h, w = self.images[index][1].shape
            if x0 < 0 or y0 < 0 or x0 + size > w or y0 + size > h:
                raise ValueError("crop %r of %dpx does not fit its image" % (list(crop), size))

    def cut_raw(self, crops, size):
        """uint8 NHWC pixels and integer NHW labels of the batch, where the data lives."""
        self.check(crops, size)
        pixels, labels = [], []
        for index, x0, y0, flip_x, flip_y in crops:
            image, label = self.images[index]
            p = image[y0: y0 + size, x0: x0 + size]
            t = label[y0: y0 + size, x0: x0 + size]
            dims = [d for d, flip in ((0, flip_y), (1, flip_x)) if flip]
            if dims:
                p, t = p.flip(dims), t.flip(dims)
            pixels.append(p)
            labels.append(t)
        pixels, labels = torch.stack(pixels), torch.stack(labels)
        if self.pin:
            pixels, labels = pixels.pin_memory(), labels.pin_memory()
        return pixels, labels

    def normalise(self, pixels):
        """uint8 NHWC (on the device) -> float32 NCHW contiguous, through DataCache's table."""
        values = self.table[pixels.long() + self.offsets]
        return values.permute(0, 3, 1, 2).contiguous()

    def batch(self, crops, size, channels_last=False):
        """The batch on the device: float32 NCHW images (normalised) and int64 NHW labels."""
        pixels, labels = self.cut_raw(crops, size)
        pixels = pixels.to(self.device, non_blocking=True)
        labels = labels.to(self.device, non_blocking=True).long()
        x = self.normalise(pixels)
        return (x.contiguous(memory_format=torch.channels_last) if channels_last else x), labels
