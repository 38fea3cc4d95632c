import torch
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackImageLabelInputs(PackSegInputs):
    """``PackSegInputs`` that also packs the image-level labels.

    The data sample gets ``gt_image_labels``: a float32 tensor (K,), multi-hot,
    index 0 = background (always 1), from ``results['gt_image_labels']``, and, when
    :class:`LoadCAMs` ran, ``cams`` (k, H, W) and ``cam_keys`` (k,) as tensors.
    """

    def transform(self, results):
        packed = super().transform(results)
        if 'gt_image_labels' in results:
            packed['data_samples'].gt_image_labels = torch.as_tensor(
                results['gt_image_labels'], dtype=torch.float32)
        if 'cams' in results:
            packed['data_samples'].cams = torch.from_numpy(results['cams'])
            packed['data_samples'].cam_keys = torch.from_numpy(results['cam_keys'])
        return packed
