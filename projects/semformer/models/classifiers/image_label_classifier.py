import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmseg.registry import MODELS


@MODELS.register_module()
class ImageLabelClassifier(BaseModel):
    """Image classification from image-level labels on pooled backbone features.

    ``backbone`` must return (B, C) features last (e.g. mmpretrain's
    ``VisionTransformer`` with ``out_type='cls_token'`` or ``'avg_featmap'``); a
    linear layer gives the K - 1 foreground logits. Used to pretrain backbones for
    the synthetic worlds; the checkpoint keeps the mmpretrain layout
    (``backbone.*``).

    Args:
        backbone (dict): backbone config.
        num_classes (int): K, background included.
        in_channels (int): C.
        loss (str): ``'bce'``: multi-label, binary cross-entropy per class;
            ``'ce'``: single-label (exactly one foreground class per image),
            softmax cross-entropy, scores are the softmax. Defaults to ``'bce'``.
    """

    def __init__(self, backbone, num_classes, in_channels, loss='bce',
                 data_preprocessor=None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if loss not in ('bce', 'ce'):
            raise ValueError(f"loss must be 'bce' or 'ce', not {loss!r}")
        self.loss_type = loss
        self.backbone = MODELS.build(backbone)
        self.fc = nn.Linear(in_channels, num_classes - 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        logits = self.fc(self.backbone(inputs)[-1])  # (B, K - 1)
        if mode == 'tensor':
            return logits
        if mode == 'loss':
            labels = torch.stack([s.gt_image_labels for s in data_samples])[:, 1:]
            if self.loss_type == 'bce':
                return dict(loss_cls=F.binary_cross_entropy_with_logits(logits, labels))
            if not torch.all(labels.sum(1) == 1):
                raise ValueError("loss='ce' needs exactly one foreground class per image")
            return dict(loss_cls=F.cross_entropy(logits, labels.argmax(1)))
        if mode == 'predict':
            probs = logits.softmax(1) if self.loss_type == 'ce' else logits.sigmoid()
            scores = F.pad(probs, (1, 0), value=1.0)  # background: 1
            for sample, score in zip(data_samples, scores):
                sample.pred_image_scores = score
            return data_samples
        raise ValueError(f'unknown mode {mode!r}')
