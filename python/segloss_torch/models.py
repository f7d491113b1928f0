"""The networks a run trains.

`UNet` is src/engine/unet.ts layer for layer: `depth` encoder levels of
[conv3x3 (no bias) -> InstanceNorm2d(affine, eps 1e-5) -> ReLU] x 2 each followed by a 2x2
max-pool, a bottleneck block, decoder levels that upsample (nearest) to the skip's size and run the
same block on [upsampled, skip], and a 1x1 head with bias. Its weights are loaded from segloss's
flat layout (the TypeScript U-Net's seeded initial weights, HWIO kernels), so a seed starts from
the same weights on every backend. The TypeScript decoder computes conv(up, W_up) +
conv(skip, W_skip); here that is one conv over the concatenation with W = [W_up; W_skip] along the
input channels: the same function.

`smp:<Arch>:<encoder>` builds a segmentation_models_pytorch model (when installed) with no
download: random init from the run's seed, encoder weights only from a local file.
"""
import os
import pickle

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, in_channels, out_channels, skip_channels=0):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels + skip_channels, out_channels, 3, padding=1, bias=False)
        self.norm1 = nn.InstanceNorm2d(out_channels, affine=True, eps=1e-5)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.norm2 = nn.InstanceNorm2d(out_channels, affine=True, eps=1e-5)

    def forward(self, x):
        x = F.relu(self.norm1(self.conv1(x)))
        return F.relu(self.norm2(self.conv2(x)))


class UNet(nn.Module):
    def __init__(self, num_classes, input_channels, depth, base_width):
        super().__init__()
        width = lambda level: base_width * 2 ** level
        self.depth = depth
        self.encoder = nn.ModuleList(Block(input_channels if level == 0 else width(level - 1), width(level)) for level in range(depth))
        self.bottleneck = Block(input_channels if depth == 0 else width(depth - 1), width(depth))
        self.decoder = nn.ModuleList(Block(width(level + 1), width(level), width(level)) for level in range(depth))
        self.head = nn.Conv2d(width(0), num_classes, 1, bias=True)

    @property
    def size_multiple(self):
        return 2 ** self.depth

    def forward(self, x):
        skips = []
        for block in self.encoder:
            x = block(x)
            skips.append(x)
            x = F.max_pool2d(x, 2, 2)
        x = self.bottleneck(x)
        for level in range(self.depth - 1, -1, -1):
            skip = skips[level]
            up = F.interpolate(x, size=skip.shape[-2:], mode="nearest")
            x = self.decoder[level](torch.cat([up, skip], dim=1))
        return self.head(x)

    def load_flat(self, flat, layout):
        """Copies segloss's flat weights (layout: [{name, shape, offset, size}], HWIO kernels) into the modules."""
        tensors = {}
        for spec in layout:
            values = np.asarray(flat[spec["offset"]: spec["offset"] + spec["size"]], dtype=np.float32).reshape(spec["shape"])
            tensors[spec["name"]] = torch.from_numpy(values.copy())
        kernel = lambda name: tensors.pop(name).permute(3, 2, 0, 1).contiguous()  # HWIO -> OIHW
        blocks = [("encoder%d" % i, b) for i, b in enumerate(self.encoder)] + [("bottleneck", self.bottleneck)]
        blocks += [("decoder%d" % i, b) for i, b in enumerate(self.decoder)]
        with torch.no_grad():
            for name, block in blocks:
                conv1 = kernel(name + ".conv1")
                if name + ".conv1.skip" in tensors:
                    conv1 = torch.cat([conv1, kernel(name + ".conv1.skip")], dim=1)
                _assign(block.conv1.weight, conv1, name + ".conv1")
                _assign(block.conv2.weight, kernel(name + ".conv2"), name + ".conv2")
                for k in (1, 2):
                    norm = getattr(block, "norm%d" % k)
                    _assign(norm.weight, tensors.pop("%s.norm%d.gamma" % (name, k)), name)
                    _assign(norm.bias, tensors.pop("%s.norm%d.beta" % (name, k)), name)
            _assign(self.head.weight, kernel("head.weight"), "head.weight")
            _assign(self.head.bias, tensors.pop("head.bias"), "head.bias")
        if tensors:
            raise ValueError("weights the U-Net does not have: %s" % ", ".join(sorted(tensors)))


def _assign(parameter, value, name):
    if tuple(parameter.shape) != tuple(value.shape):
        raise ValueError("%s: expected shape %s, got %s" % (name, tuple(parameter.shape), tuple(value.shape)))
    parameter.copy_(value)


def build_model(spec, flat_weights, layout, seed):
    """The run's network: the built-in U-Net from the flat weights, or an smp model (spec['name'] = 'smp:Arch:encoder')."""
    name = spec.get("name") or "unet"
    if name == "unet":
        model = UNet(spec["numClasses"], spec["inputChannels"], spec["depth"], spec["baseWidth"])
        model.load_flat(flat_weights, layout)
        return model
    return _smp_model(name, spec, seed)


def _load_tensors(path):
    """A weights file as tensors only: torch.load's default unpickles arbitrary objects, so a
    hostile .pth would run its code; weights_only (torch >= 1.13) refuses anything but tensors and
    plain containers. Only a regular file is read (a FIFO would block, /dev/zero never end)."""
    if not os.path.isfile(path):
        raise ValueError("%s is not a regular file" % path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError("%s holds more than tensors, so it was not loaded (only weights are read, never code): %s" % (path, first[:300]))


def _smp_model(name, spec, seed):
    parts = name.split(":")
    if len(parts) != 3 or parts[0] != "smp":
        raise ValueError("model %r: expected unet or smp:<Architecture>:<encoder>, e.g. smp:Unet:resnet34" % name)
    try:
        import segmentation_models_pytorch as smp
    except ImportError as error:
        raise ValueError("model %r needs segmentation_models_pytorch, which this Python cannot import (%s)" % (name, error))
    architecture = getattr(smp, parts[1], None)
    if architecture is None or not isinstance(architecture, type) or not issubclass(architecture, torch.nn.Module):
        raise ValueError("segmentation_models_pytorch has no architecture %r" % parts[1])
    torch.manual_seed(seed)
    model = architecture(encoder_name=parts[2], encoder_weights=None, in_channels=spec["inputChannels"], classes=spec["numClasses"])
    weights = spec.get("weightsFile")
    if weights:
        state = _load_tensors(weights)
        if isinstance(state, dict) and "state_dict" in state:
            state = state["state_dict"]
        missing, unexpected = model.encoder.load_state_dict(state, strict=False)
        loaded = len(state) - len(unexpected)
        if loaded == 0:
            raise ValueError("%s holds no weights of the %s encoder (unexpected keys: %s)" % (weights, parts[2], ", ".join(list(unexpected)[:5])))
    model.size_multiple = 32
    return model
