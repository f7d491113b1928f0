/**
 * segloss's scale-aware image weights (src/losses/scale-aware.ts) in numpy, for every export
 * flavour: no scipy (ndimage.label), so the snippets need nothing beyond torch/TensorFlow and numpy.
 * The 8-connected components come from label propagation with pointer jumping, vectorised over the
 * whole batch: each foreground pixel starts with its own index as label, takes the smallest label
 * among its same-class neighbours, then the label of its label; a few rounds settle even long thin
 * objects. An image that is entirely IGNORE_INDEX weighs 0 (it has no loss to weigh), as in segloss.
 */

export const SMALLEST_OBJECT_AREAS = `def smallest_object_areas(masks):
    """Pixel count of the smallest 8-connected same-class object (label neither 0 nor IGNORE_INDEX) in each
    mask of masks (N, H, W); 0 for a mask without one."""
    masks = np.asarray(masks).astype(np.int64)
    n, h, w = masks.shape
    size = n * h * w
    foreground = (masks != 0) & (masks != IGNORE_INDEX)
    classes = np.pad(np.where(foreground, masks, -1), ((0, 0), (1, 1), (1, 1)), constant_values=-1)
    same_class = [(classes[:, dy:dy + h, dx:dx + w] == classes[:, 1:h + 1, 1:w + 1]) & foreground for dy in range(3) for dx in range(3)]
    labels = np.where(foreground, np.arange(size).reshape(n, h, w), size)
    while True:
        padded = np.pad(labels, ((0, 0), (1, 1), (1, 1)), constant_values=size)
        smallest = labels
        for shift, same in enumerate(same_class):
            dy, dx = divmod(shift, 3)
            smallest = np.minimum(smallest, np.where(same, padded[:, dy:dy + h, dx:dx + w], size))
        flat = smallest.reshape(-1)
        jumped = np.where(flat < size, flat[np.minimum(flat, size - 1)], size).reshape(n, h, w)
        if np.array_equal(jumped, labels):
            break
        labels = jumped
    counts = np.bincount(labels[foreground], minlength=size).reshape(n, h * w)
    smallest_area = np.where(counts > 0, counts, size + 1).min(1)
    return np.where(smallest_area <= size, smallest_area, 0)`;

export const SCALE_AWARE_WEIGHTS = `def scale_aware_weights(masks):
    """segloss's scale-aware weight of each image of masks (N, H, W), normalised to sum 1 (float64, (N,)):
    BIN_WEIGHTS[b] for the first bin b whose edge BIN_EDGES[b] exceeds the area of the image's smallest
    object (the last bin past the last edge), 1.0 for an image without objects, 0 for an image that is
    entirely IGNORE_INDEX (it has no loss to weigh); all 0 when no image has a valid pixel."""
    masks = np.asarray(masks)
    masks = masks.reshape(masks.shape[0], masks.shape[1], masks.shape[2])
    areas = smallest_object_areas(masks)
    bins = (areas[:, None] >= np.asarray(BIN_EDGES, np.float64)[None, :]).sum(1)
    weights = np.where(areas > 0, np.asarray(BIN_WEIGHTS, np.float64)[bins], 1.0)
    weights = weights * (masks != IGNORE_INDEX).reshape(len(masks), -1).any(1)
    total = weights.sum()
    return weights / total if total > 0 else weights`;
