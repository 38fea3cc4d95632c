import os.path as osp

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader
from mmseg.registry import MODELS

from ..losses import pair_cosine, present_pairs
from .cam_segmentor import CAMSegmentor


@MODELS.register_module()
class SemFormer(CAMSegmentor):
    """SemFormer stage 2: a multi-class-token ViT trained from image-level labels
    through a frozen Class-Aware AutoEncoder; inference gives class activation maps.

    Training: logits (B, K, h, w) -> activation maps M (B, K, s, s) at the CAAE
    input size s (bilinear, then sigmoid, zero outside the valid crop); for the S
    present (image, class) pairs the class-foreground ``M_c * I`` and
    class-background ``(1 - M_c) * I`` images (2S, 3, s, s) go through the frozen
    CAAE encoder in one pass. The CAAE is in eval mode, has no parameter gradients
    and is not part of this model's state dict (it is loaded from
    ``caae_checkpoint`` when training starts); gradients flow through it to M.

    Prediction: as ``CAMSegmentor``'s, with the plain maps ``ReLU(logits)`` and,
    when ``test_cfg['cra']`` (default True), the CRA-fused maps as the refined
    ones (``pred_cams``; ``pred_cams_plain`` with ``keep_plain``). Attention rows
    and CRA run in float32 under ``autocast_dtype``.

    Args:
        backbone (dict): a ``MultiClassTokenViT`` with K class tokens.
        decode_head (dict): a ``SemFormerHead``.
        caae (dict): the stage-1 ``ClassAwareAutoEncoder`` config (its decoder is
            not built).
        caae_checkpoint (str | None): the stage-1 checkpoint (path or URL).
        caae_input_size (tuple): (s, s), the size the CAAE sees.
        cra (dict | None): a ``ClassRelativeAttention``; None disables CRA.
        test_cfg (dict): ``CAMSegmentor``'s and ``cra`` (bool).
    """

    def __init__(self,
                 backbone,
                 decode_head,
                 caae,
                 caae_checkpoint=None,
                 caae_input_size=(224, 224),
                 cra=dict(type='ClassRelativeAttention', num_layers=4),
                 train_cfg=None,
                 test_cfg=None,
                 data_preprocessor=None,
                 init_cfg=None):
        super().__init__(backbone, decode_head, train_cfg, {'cra': True, **(test_cfg or {})},
                         data_preprocessor, init_cfg)
        self.cra = MODELS.build(cra) if cra is not None else None
        K = self.decode_head.num_classes
        caae_kd = (caae['num_classes'], caae.get('class_dim', 256))
        if caae_kd != (K, self.decode_head.class_dim):
            raise ValueError(
                f'the CAAE config has K={caae_kd[0]}, D={caae_kd[1]}; the head has '
                f'K={K}, D={self.decode_head.class_dim}')
        # built on first use (training), so inference never holds it; a list keeps it
        # out of children(): no state dict entries, no optimizer groups, no DDP
        # parameters; _apply still moves it with the model
        self.caae_cfg = dict(caae, decoder=None)
        self._caae = []
        self.caae_checkpoint = caae_checkpoint
        self.caae_input_size = tuple(caae_input_size)

    @property
    def caae(self):
        """The frozen CAAE (eval mode, no parameter gradients), built on first use."""
        if not self._caae:
            ref = self.decode_head.classifier.weight
            model = MODELS.build(self.caae_cfg).requires_grad_(False).eval()
            self._caae.append(model.to(device=ref.device, dtype=ref.dtype))
        return self._caae[0]

    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)
        if self._caae:
            self._caae[0]._apply(fn, *args, **kwargs)
        return self

    def train(self, mode=True):
        super().train(mode)
        if self._caae:
            self._caae[0].eval()
        return self

    def init_weights(self):
        super().init_weights()
        if self.caae_checkpoint is not None:
            self.load_caae(self.caae_checkpoint)

    def load_caae(self, filename):
        """Load the stage-1 weights into the frozen CAAE; decoder weights are ignored.

        Raises:
            FileNotFoundError: the file does not exist.
            ValueError: the checkpoint lacks CAAE weights or they do not fit the
                CAAE config (names the keys and shapes).
        """
        if '://' not in filename and not osp.isfile(filename):
            raise FileNotFoundError(
                f'CAAE checkpoint {filename!r} not found: train stage 1 first '
                '(tools/train.py on the CAAE config) or set model.caae_checkpoint')
        ckpt = CheckpointLoader.load_checkpoint(filename, map_location='cpu')
        state = ckpt.get('state_dict', ckpt)
        state = {k[7:] if k.startswith('module.') else k: v for k, v in state.items()}
        expected = self.caae.state_dict()
        missing = [k for k in expected if k not in state]
        wrong = [f'{k}: checkpoint {tuple(state[k].shape)}, config {tuple(v.shape)}'
                 for k, v in expected.items() if k in state and state[k].shape != v.shape]
        if missing or wrong:
            details = []
            if missing:
                details.append(f'{len(missing)} missing keys, e.g. {missing[:5]}')
            if wrong:
                details.append('shape mismatch: ' + '; '.join(wrong[:5]))
            raise ValueError(f'{filename!r} does not fit the CAAE config ('
                             + ', '.join(details) + '). Is it the stage-1 checkpoint '
                             'trained with this CAAE config?')
        self.caae.load_state_dict({k: state[k] for k in expected})
        print_log(f'loaded the frozen CAAE from {filename}', logger='current')

    # ---------------------------------------------------------------- training
    def _valid_masks(self, data_samples, input_shape, size):
        """(B, 1, s, s): 1 inside each sample's un-padded region, scaled to ``size``."""
        H, W = input_shape
        valid = torch.zeros(len(data_samples), 1, *size)
        for i, sample in enumerate(data_samples):
            _, right, _, bottom = sample.metainfo.get('padding_size', (0, 0, 0, 0))
            h = int((H - bottom) * size[0] / H)
            w = int((W - right) * size[1] / W)
            valid[i, :, :h, :w] = 1
        return valid

    def loss(self, inputs, data_samples):
        labels = torch.stack([s.gt_image_labels for s in data_samples]).to(inputs)
        patches, class_tokens, hw = self.extract_feat(inputs)
        logits, class_emb = self.decode_head(patches, class_tokens, hw)
        size = self.caae_input_size
        valid = self._valid_masks(data_samples, inputs.shape[-2:], size).to(inputs)
        masks = F.interpolate(logits.float(), size, mode='bilinear',
                              align_corners=True).sigmoid() * valid
        head = self.decode_head
        semantics = (self.caae.class_semantics().float()
                     if head.uses_caae or 'loss_ss' in head.losses else None)
        pairs = None
        if self.decode_head.uses_caae:
            images = F.interpolate(inputs, size, mode='bilinear', align_corners=True)
            index, classes, own, others = present_pairs(labels)
            pair_masks = masks[index, classes][:, None]
            pair_images = images[index]
            both = torch.cat([pair_images * pair_masks, pair_images * (1 - pair_masks)])
            embeddings = self.caae.class_embeddings(both).float()
            fg_cos, bg_cos = pair_cosine(embeddings, semantics).chunk(2)
            pairs = dict(fg_cos=fg_cos, bg_cos=bg_cos, own=own, others=others)
        with torch.autocast(inputs.device.type, enabled=False):  # losses in float32
            return self.decode_head.loss_by_feat(
                None if class_emb is None else class_emb.float(), semantics, labels,
                masks, valid, pairs)

    # --------------------------------------------------------------- inference
    def forward_maps(self, inputs):
        """One forward: {'plain': ReLU(logits)[, 'refined': CRA-fused]}, (B, K, h, w)."""
        use_cra = bool(self.test_cfg['cra']) and self.cra is not None
        with self.autocast(inputs):
            if use_cra:
                patches, class_tokens, hw, attns = self.extract_feat(
                    inputs, attn_layers=self.cra.num_layers)
            else:
                patches, class_tokens, hw = self.extract_feat(inputs)
            logits, _ = self.decode_head(patches, class_tokens, hw)
        maps = dict(plain=F.relu(logits.float()))
        if use_cra:
            maps['refined'] = self.cra(logits.float(), attns)
        return maps
