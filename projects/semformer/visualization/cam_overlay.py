import cv2
import numpy as np


def _label(panel, text):
    cv2.putText(panel, text, (2, 11), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (255, 255, 255), 1,
                cv2.LINE_AA)
    return panel


def colorize(seg, palette, ignore_index=255):
    """(H, W) class indices -> (H, W, 3) uint8 RGB; ignored pixels white."""
    lut = np.full((256, 3), 255, np.uint8)
    lut[:len(palette)] = np.asarray(palette, np.uint8)
    lut[ignore_index] = 255
    return lut[seg.astype(np.uint8)]


def drawn_classes(cams):
    """The classes :func:`cam_row` draws a heat map for: k >= 1 with a positive map.

    Args:
        cams (ndarray | Tensor): (K, H, W) maps, channel 0 = background.

    Returns:
        list[int]: the class indices.
    """
    return [k for k in range(1, len(cams)) if float(cams[k].max()) > 0]


def cam_row(image, cams, classes, palette, gt=None, pred=None, title=None, alpha=0.5,
            num_slots=None):
    """One image's panels side by side: the image, the ground truth, a heat-map
    overlay for every class with a non-zero map, the thresholded prediction.

    Args:
        image (ndarray): (H, W, 3) uint8 RGB.
        cams (ndarray): (K, H, W) maps in [0, 1], channel 0 = background (unused).
        classes (sequence[str]), palette (sequence): K names and RGB colours.
        gt, pred (ndarray | None): (H, W) class indices.
        title (str | None): written on the image panel.
        alpha (float): heat-map weight in the overlays. Defaults to 0.5.
        num_slots (int | None): pad the heat maps with black panels up to this
            many, so that the panels after them line up across rows of images
            with different numbers of classes. Defaults to None (no padding).

    Returns:
        ndarray: (H, n * W, 3) uint8 RGB.
    """
    panels = [image.copy() if title is None else _label(image.copy(), title)]
    if gt is not None:
        panels.append(_label(colorize(gt, palette), 'GT'))
    classes_drawn = drawn_classes(cams)
    for k in classes_drawn:
        heat = cv2.applyColorMap((255 * cams[k].clip(0, 1)).astype(np.uint8),
                                 cv2.COLORMAP_JET)[..., ::-1]
        overlay = (alpha * heat + (1 - alpha) * image).astype(np.uint8)
        panels.append(_label(overlay, str(classes[k])))
    if num_slots is not None and num_slots > len(classes_drawn):
        panels += [np.zeros_like(image)] * (num_slots - len(classes_drawn))
    if pred is not None:
        panels.append(_label(colorize(pred, palette), 'pred'))
    return np.concatenate(panels, axis=1)


def stack_rows(rows):
    """Rows of different widths -> one (sum H, max W, 3) image, padded with black."""
    width = max(r.shape[1] for r in rows)
    return np.concatenate(
        [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0))) for r in rows], axis=0)
