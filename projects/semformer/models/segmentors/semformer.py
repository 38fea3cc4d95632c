import os.path as osp
from contextlib import nullcontext

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader
from mmengine.structures import PixelData
from mmseg.models.segmentors import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from ..losses import pair_cosine, present_pairs

DEFAULT_TEST_CFG = dict(
    scales=(0.5, 1.0, 1.5, 2.0), flip=True, cra=True, keep_plain=False,
    bg_threshold=0.2, restrict_to_labels=True, autocast_dtype=None)


@MODELS.register_module()
class SemFormer(BaseSegmentor):
    """SemFormer stage 2: a multi-class-token ViT trained from image-level labels
    through a frozen Class-Aware AutoEncoder; inference gives class activation maps.

    Training: logits (B, K, h, w) -> activation maps M (B, K, s, s) at the CAAE
    input size s (bilinear, then sigmoid, zero outside the valid crop); for the S
    present (image, class) pairs the class-foreground ``M_c * I`` and
    class-background ``(1 - M_c) * I`` images (2S, 3, s, s) go through the frozen
    CAAE encoder in one pass. The CAAE is in eval mode, has no parameter gradients
    and is not part of this model's state dict (it is loaded from
    ``caae_checkpoint`` when training starts); gradients flow through it to M.

    Prediction (``test_cfg``): per image, maps at every scale (sides rounded to a
    multiple of the patch size) and its flip, ``ReLU(logits)`` or the CRA-fused
    maps, resized to the image and summed; background dropped, each class divided
    by its max (+1e-5), classes outside the image-level label zeroed. Sets
    ``pred_cams`` (K, H, W) (channel 0 = 0), ``pred_sem_seg`` (background where
    every class is <= ``bg_threshold``) and, with ``keep_plain``, the maps without
    CRA as ``pred_cams_plain``. ``autocast_dtype='bfloat16'`` (or ``'float16'``)
    runs the network under autocast; attention rows, CRA, resizing, sums and the
    normalisation stay float32.

    Args:
        backbone (dict): a ``MultiClassTokenViT`` with K class tokens.
        decode_head (dict): a ``SemFormerHead``.
        caae (dict): the stage-1 ``ClassAwareAutoEncoder`` config (its decoder is
            not built).
        caae_checkpoint (str | None): the stage-1 checkpoint (path or URL).
        caae_input_size (tuple): (s, s), the size the CAAE sees.
        cra (dict | None): a ``ClassRelativeAttention``; None disables CRA.
        test_cfg (dict): see above; missing keys take ``DEFAULT_TEST_CFG``.
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
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.decode_head = MODELS.build(decode_head)
        self.cra = MODELS.build(cra) if cra is not None else None
        K = self.decode_head.num_classes
        if self.backbone.num_class_tokens != K:
            raise ValueError(f'backbone has {self.backbone.num_class_tokens} class tokens '
                             f'but the head predicts {K} classes')
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
        self.patch_size = self.backbone.patch_embed.projection.kernel_size[0]
        self.train_cfg = train_cfg
        self.test_cfg = {**DEFAULT_TEST_CFG, **(test_cfg or {})}

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
    def extract_feat(self, inputs, attn_layers=0):
        """Patch tokens (B, hw, C), class tokens (B, K, C), (h, w)[, attentions]."""
        return self.backbone.forward_tokens(inputs, attn_layers=attn_layers)

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
        semantics = self.caae.class_semantics().float()
        pair_cos = pull = push = None
        if self.decode_head.uses_caae:
            images = F.interpolate(inputs, size, mode='bilinear', align_corners=True)
            index, classes, pull, push = present_pairs(labels)
            pair_masks = masks[index, classes][:, None]
            pair_images = images[index]
            both = torch.cat([pair_images * pair_masks, pair_images * (1 - pair_masks)])
            embeddings = self.caae.class_embeddings(both).float()
            pair_cos = pair_cosine(embeddings, semantics).chunk(2)
        with torch.autocast(inputs.device.type, enabled=False):  # losses in float32
            return self.decode_head.loss_by_feat(class_emb.float(), semantics, labels,
                                                 masks, valid, pair_cos, pull, push)

    # --------------------------------------------------------------- inference
    def encode_decode(self, inputs, batch_img_metas=None):
        """Logits (B, K, H, W) resized to the input."""
        patches, class_tokens, hw = self.extract_feat(inputs)
        logits, _ = self.decode_head(patches, class_tokens, hw)
        return F.interpolate(logits, inputs.shape[-2:], mode='bilinear', align_corners=False)

    def _forward(self, inputs, data_samples=None):
        patches, class_tokens, hw = self.extract_feat(inputs)
        return self.decode_head(patches, class_tokens, hw)[0]

    def _maps(self, inputs, use_cra):
        """One forward: {'plain': ReLU(logits)[, 'cra': fused]}, each (B, K, h, w)."""
        dtype = self.test_cfg.get('autocast_dtype')
        with (torch.autocast(inputs.device.type, dtype=getattr(torch, dtype))
              if dtype else nullcontext()):
            if use_cra:
                patches, class_tokens, hw, attns = self.extract_feat(
                    inputs, attn_layers=self.cra.num_layers)
            else:
                patches, class_tokens, hw = self.extract_feat(inputs)
            logits, _ = self.decode_head(patches, class_tokens, hw)
        maps = dict(plain=F.relu(logits.float()))
        if use_cra:
            maps['cra'] = self.cra(logits.float(), attns)
        return maps

    def multi_scale_cams(self, inputs):
        """Summed, un-normalised maps over scales and flips: name -> (B, K, H, W)."""
        cfg = self.test_cfg
        use_cra = bool(cfg['cra']) and self.cra is not None
        B, _, H, W = inputs.shape
        P = self.patch_size
        sums = {}
        for scale in cfg['scales']:
            size = (max(P, round(H * scale / P) * P), max(P, round(W * scale / P) * P))
            x = inputs if size == (H, W) else F.interpolate(
                inputs, size, mode='bilinear', align_corners=False)
            if cfg['flip']:
                x = torch.cat([x, x.flip(-1)])
            for name, maps in self._maps(x, use_cra).items():
                maps = F.interpolate(maps, (H, W), mode='bilinear', align_corners=False)
                if cfg['flip']:
                    maps = maps[:B] + maps[B:].flip(-1)
                sums[name] = sums[name] + maps if name in sums else maps
        return sums

    def normalise_cams(self, cams, labels=None):
        """(B, K, H, W) summed maps -> per-class max-normalised, background channel 0
        set to 0, classes with ``labels == 0`` zeroed when labels (B, K) are given."""
        cams = cams.clone()
        cams[:, 0] = 0
        cams = cams / (cams.amax((2, 3), keepdim=True) + 1e-5)
        if labels is not None:
            cams = cams * (labels[..., None, None] > 0)
        return cams

    def predict(self, inputs, data_samples=None):
        if data_samples is None:
            data_samples = [None] * inputs.shape[0]
        cfg = self.test_cfg
        shapes = [s.img_shape if s is not None else inputs.shape[-2:] for s in data_samples]
        if all(tuple(s) == tuple(inputs.shape[-2:]) for s in shapes):
            groups = [(list(range(len(shapes))), inputs)]
        else:  # padded batch: every image at its own size
            groups = [([i], inputs[i:i + 1, :, :h, :w]) for i, (h, w) in enumerate(shapes)]
        results = []  # groups are in sample order
        for indices, x in groups:
            samples = [data_samples[i] for i in indices]
            labels = None
            if cfg['restrict_to_labels'] and all(
                    s is not None and 'gt_image_labels' in s for s in samples):
                labels = torch.stack([s.gt_image_labels for s in samples]).to(x.device)
            sums = self.multi_scale_cams(x)
            for j, sample in enumerate(samples):
                results.append(self._pack(sample, sums, j, labels))
        return results

    def _pack(self, sample, sums, j, labels):
        sample = sample if sample is not None else SegDataSample()
        ori_shape = sample.metainfo.get('ori_shape')
        main = 'cra' if 'cra' in sums else 'plain'
        names = [(main, 'pred_cams')]
        if main == 'cra' and self.test_cfg['keep_plain']:
            names.append(('plain', 'pred_cams_plain'))
        for name, field in names:
            cams = self.normalise_cams(sums[name][j:j + 1],
                                       None if labels is None else labels[j:j + 1])
            if ori_shape is not None and tuple(cams.shape[-2:]) != tuple(ori_shape):
                cams = F.interpolate(cams, ori_shape, mode='bilinear', align_corners=False)
            sample.set_field(PixelData(data=cams[0]), field)
        cams = sample.pred_cams.data
        fg_max, fg_arg = cams[1:].max(0)
        seg = torch.where(fg_max > self.test_cfg['bg_threshold'], fg_arg + 1, 0)
        sample.set_field(PixelData(data=seg[None]), 'pred_sem_seg')
        return sample
