"""One figure of a whole WSSS chain on a few val images: per image the image, its
ground truth, the CAMs (heat maps) and their thresholded labels, the pseudo labels
of every refinement config and the final segmentation."""
from typing import Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmseg.apis import inference_model, init_model
from mmseg.registry import DATASETS, MODELS

from .cam_overlay import cam_row, colorize, drawn_classes, stack_rows


def panel(seg, palette, text):
    img = colorize(seg, palette)
    cv2.putText(img, text, (2, 11), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (255, 255, 255), 1,
                cv2.LINE_AA)
    return img


@torch.no_grad()
def draw_pipeline_figure(cam_cfg: Config,
                         cam_checkpoint: str,
                         out: str,
                         label_cfgs: Sequence[Config] = (),
                         seg_cfg: Optional[Config] = None,
                         seg_checkpoint: Optional[str] = None,
                         num_images: int = 6) -> str:
    """Draw the figure and write it to ``out`` (PNG, scaled 2x).

    Args:
        cam_cfg (Config): the CAM model's config; its ``val_dataloader`` gives the
            images.
        cam_checkpoint (str): the CAM model's checkpoint.
        out (str): the PNG path.
        label_cfgs (Sequence[Config]): pseudo-label configs (a
            ``PseudoLabelGenerator`` model each, weights already set). Defaults
            to ().
        seg_cfg (Config, optional): the segmentation network's config. Defaults
            to None.
        seg_checkpoint (str, optional): its checkpoint. Defaults to None.
        num_images (int): val images, evenly spaced. Defaults to 6.

    Returns:
        str: a one-line description of what was drawn.
    """
    init_default_scope('mmseg')
    # mmseg's init_model assumes an EncoderDecoder (pretrained/train_cfg keys)
    cam_model = MODELS.build(cam_cfg.model)
    load_checkpoint(cam_model, cam_checkpoint, map_location='cpu')
    cam_model.eval()
    dataset = DATASETS.build(cam_cfg.val_dataloader.dataset)
    classes, palette = dataset.metainfo['classes'], dataset.metainfo['palette']
    labelers = [(cfg.get('name', f'labels {i}'), MODELS.build(cfg.model).eval())
                for i, cfg in enumerate(label_cfgs)]
    seg_model = (init_model(seg_cfg, seg_checkpoint, device='cpu')
                 if seg_cfg is not None else None)

    step = max(1, len(dataset) // num_images)
    samples = [cam_model.test_step(pseudo_collate([dataset[idx]]))[0]
               for idx in range(0, min(len(dataset), step * num_images), step)]
    # as many heat-map columns in every row as the image with the most maps has
    num_slots = max(len(drawn_classes(s.pred_cams.data)) for s in samples)
    rows = []
    for sample in samples:
        bgr = cv2.imread(sample.img_path)
        rgb = np.ascontiguousarray(bgr[..., ::-1])
        gt = sample.gt_sem_seg.data[0].numpy()
        cams = sample.pred_cams.data
        row = [cam_row(rgb, cams.numpy(), classes, palette, gt=gt,
                       pred=sample.pred_sem_seg.data[0].numpy(), title='image',
                       num_slots=num_slots)]
        keys = torch.nonzero(sample.gt_image_labels[1:] > 0)[:, 0] + 1
        image = torch.from_numpy(rgb).permute(2, 0, 1).float()
        for name, labeler in labelers:
            label = labeler.label(image, cams[keys], keys).numpy()
            row.append(panel(label, palette, name))
        if seg_model is not None:
            pred = inference_model(seg_model, bgr).pred_sem_seg.data[0].numpy()
            row.append(panel(pred, palette, 'DeepLab'))
        rows.append(np.concatenate(row, axis=1))
    figure = stack_rows(rows)
    cv2.imwrite(out, cv2.resize(figure[..., ::-1], None, fx=2, fy=2,
                                interpolation=cv2.INTER_NEAREST))
    return (f'{out}: {len(rows)} val images, panels: image, GT, CAM heat maps '
            f'({num_slots} columns), CAM labels, ' + ', '.join(n for n, _ in labelers)
            + (', DeepLab' if seg_model else ''))
