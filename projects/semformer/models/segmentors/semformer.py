import logging
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict
from mmseg.registry import MODELS
from torch import Tensor, nn

from ..losses import pair_cosine, present_pairs
from ..utils import check_pretrained
from .cam_segmentor import CAMSegmentor

CAAE_PREFIX = 'caae.'
# applied to the keys of a stage-1 checkpoint, as mmengine's ``load_checkpoint``
# does: weights saved from a DDP-wrapped model
CAAE_REVISE_KEYS = [(r'^module\.', '')]


def _drop_caae_state(module: nn.Module, state_dict: dict, prefix: str,
                     local_metadata: dict) -> None:
    """State-dict post-hook of ``SemFormer``: remove the frozen CAAE's entries.

    Registered with ``register_state_dict_post_hook``; mmengine's
    ``get_state_dict`` (the runner's checkpoints) calls it as well.
    """
    caae_prefix = prefix + CAAE_PREFIX
    for key in [k for k in state_dict if k.startswith(caae_prefix)]:
        del state_dict[key]
    metadata = getattr(state_dict, '_metadata', None)
    if metadata is not None:
        for key in [k for k in metadata
                    if k == caae_prefix[:-1] or k.startswith(caae_prefix)]:
            del metadata[key]


def _keep_caae_state(module: nn.Module, state_dict: dict, prefix: str, *args) -> None:
    """Load-state-dict pre-hook of ``SemFormer``: a state dict without any
    ``caae.`` entry (every checkpoint this model saves) keeps the current CAAE.

    The CAAE's current tensors are put in (the local copy of) ``state_dict``, so
    neither torch's nor mmengine's ``load_state_dict`` reports them as missing,
    also with ``strict=True``. A state dict with some ``caae.`` entries is loaded
    as it is (missing or wrong ones are reported as usual).
    """
    caae = getattr(module, 'caae', None)
    caae_prefix = prefix + CAAE_PREFIX
    if caae is None or any(k.startswith(caae_prefix) for k in state_dict):
        return
    for key, value in caae.state_dict().items():
        state_dict[caae_prefix + key] = value


@MODELS.register_module()
class SemFormer(CAMSegmentor):
    """SemFormer stage 2: a multi-class-token ViT trained from image-level labels
    through a frozen Class-Aware AutoEncoder; inference gives class activation maps.

    Notation: B images, K classes (background included), D class dimension, (h,
    w) the patch grid, s the CAAE input side, S present (image, class) pairs.

    Training: logits (B, K, h, w) -> activation maps M (B, K, s, s) at the CAAE
    input size (bilinear, then sigmoid, zero outside the valid crop); for the S
    present pairs the class-foreground ``M_c * I`` and class-background
    ``(1 - M_c) * I`` images (2S, 3, s, s) go through the frozen CAAE encoder in
    one pass; gradients flow through it to M.

    The frozen CAAE is the submodule ``caae``, built in ``__init__`` only when a
    loss reads it (L_CF, L_CB: its encoder; L'_SS: its class semantics S (K, D))
    and ``caae`` is given, else ``caae`` is None. Its decoder is not built. It
    has no parameter that requires a gradient (so no optimizer group takes it and
    DDP does not wait for its gradients), stays in eval mode under ``train()``,
    moves with the model (``to``, ``cuda``, ``double``), is skipped by
    ``init_weights``' random and pretrained initialisation and is loaded from
    ``caae_checkpoint`` there instead (:meth:`load_caae`). It is not part of the
    state dict: checkpoints of this model hold no ``caae.*`` keys, and loading
    one keeps the CAAE as it is (no missing-key report).

    Prediction: as ``CAMSegmentor``'s, with the plain maps ``ReLU(logits)`` and,
    when ``test_cfg['cra']`` (default True), the CRA-fused maps as the refined
    ones (``pred_cams``; ``pred_cams_plain`` with ``keep_plain``). Attention rows
    and CRA run in float32 under ``autocast_dtype``. The CAAE serves only the
    image-level scores (:meth:`image_scores`); ``tools/test.py`` does not call
    ``init_weights``, so it is loaded from ``caae_checkpoint`` on first use. An
    inference-only config may set ``caae=None`` to save its memory (no scores).

    Args:
        backbone (dict): a ``MultiClassTokenViT`` with K class tokens.
        decode_head (dict): a ``SemFormerHead``.
        caae (dict, optional): the stage-1 ``ClassAwareAutoEncoder`` config;
            its K and D must be the head's. Its ``decoder``, ``data_preprocessor``
            and weight initialisation are not used. None builds no CAAE
            (inference only: ``loss`` then refuses L_CF, L_CB and L'_SS).
        caae_checkpoint (str, optional): the stage-1 checkpoint (path or URL),
            loaded by ``init_weights``. Defaults to None (the CAAE keeps its
            construction-time weights, e.g. for tests or inference).
        caae_input_size (Sequence[int]): (s, s), the size the CAAE sees.
            Defaults to ``(224, 224)``.
        cra (dict, optional): a ``ClassRelativeAttention``; None disables CRA.
            Defaults to CRA over the last 4 blocks.
        train_cfg (dict, optional): unused. Defaults to None.
        test_cfg (dict, optional): ``CAMSegmentor``'s and ``cra`` (bool,
            defaults to True). Defaults to None.
        data_preprocessor (dict, optional): Defaults to None.
        init_cfg (dict, optional): Defaults to None.
        pretrained (str, optional): must be None (mmseg's ``init_model`` sets it);
            the backbone loads through its ``init_cfg``. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 decode_head: dict,
                 caae: Optional[dict],
                 caae_checkpoint: Optional[str] = None,
                 caae_input_size: Sequence[int] = (224, 224),
                 cra: Optional[dict] = dict(type='ClassRelativeAttention', num_layers=4),
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 pretrained: Optional[str] = None):
        check_pretrained(pretrained, 'SemFormer')
        super().__init__(backbone, decode_head, train_cfg, {'cra': True, **(test_cfg or {})},
                         data_preprocessor, init_cfg)
        self.cra = MODELS.build(cra) if cra is not None else None
        head = self.decode_head
        if caae is not None:
            caae_kd = (caae['num_classes'], caae.get('class_dim', 256))
            if caae_kd != (head.num_classes, head.class_dim):
                raise ValueError(
                    f'the CAAE config has K={caae_kd[0]}, D={caae_kd[1]}; the head has '
                    f'K={head.num_classes}, D={head.class_dim}')
        self.caae_checkpoint = caae_checkpoint
        self.caae_loaded = False  # set by load_caae
        self._caae_unavailable = False  # caae_checkpoint found missing at inference
        self.caae_input_size = tuple(caae_input_size)
        if caae is not None and self.needs_caae:
            self.caae = self._build_frozen_caae(caae)
        else:  # no loss reads it (or inference only): neither built nor loaded
            self.caae = None
        self.register_state_dict_post_hook(_drop_caae_state)
        self.register_load_state_dict_pre_hook(_keep_caae_state)

    @property
    def needs_caae(self) -> bool:
        """Whether a switched-on loss reads the CAAE (L_CF, L_CB or L'_SS)."""
        head = self.decode_head
        return head.uses_caae or 'loss_ss' in head.losses

    @staticmethod
    def _build_frozen_caae(cfg: dict) -> nn.Module:
        """The CAAE without decoder: no gradients, eval mode, no initialisation.

        Built under a forked RNG: its layers' random construction-time init (its
        weights come from the checkpoint) leaves the global generators as they
        were, so the rest of the model and the training draw the same numbers as
        when the CAAE was built lazily.
        """
        with torch.random.fork_rng(devices=[]):
            caae = MODELS.build(dict(cfg, decoder=None, data_preprocessor=None))
        caae.requires_grad_(False).eval()
        # BaseModule.init_weights skips children that are initialised: no random
        # init and no download of the encoder's pretrained weights; the weights
        # come from caae_checkpoint
        caae.is_init = True
        return caae

    def train(self, mode: bool = True) -> 'SemFormer':
        """Set the train / eval mode; the frozen CAAE stays in eval mode."""
        super().train(mode)
        if self.caae is not None:
            self.caae.eval()
        return self

    def init_weights(self):
        """Initialise the network (backbone, head, CRA) and load the frozen CAAE
        from ``caae_checkpoint`` (if the CAAE is built and a checkpoint is set)."""
        super().init_weights()
        if self.caae is not None and self.caae_checkpoint is not None:
            self.load_caae(self.caae_checkpoint)

    def load_caae(self, filename: str) -> None:
        """Load the stage-1 weights into the frozen CAAE.

        The checkpoint is read with mmengine's ``_load_checkpoint`` (local path,
        URL or ``open-mmlab://``; on the CPU), its ``state_dict`` (or the whole
        file) with a ``module.`` prefix removed; the weights of the stage-1
        decoder (not built here) are ignored; the rest must fit the CAAE exactly
        and is loaded with mmengine's ``load_state_dict(strict=True)``.

        Args:
            filename (str): the stage-1 checkpoint.

        Raises:
            RuntimeError: this model has no CAAE (no loss reads it).
            FileNotFoundError: the file does not exist.
            ValueError: the checkpoint holds no state dict, lacks CAAE weights or
                they do not fit the CAAE config (names the keys and shapes).
        """
        if self.caae is None:
            raise RuntimeError('this SemFormer has no CAAE: L_CF, L_CB and L\'_SS are '
                               'off, or it was built with caae=None')
        if '://' not in filename and not osp.isfile(filename):
            raise FileNotFoundError(
                f'CAAE checkpoint {filename!r} not found: train stage 1 first '
                '(tools/train.py on the CAAE config) or set model.caae_checkpoint')
        checkpoint = _load_checkpoint(filename, map_location='cpu')
        if not isinstance(checkpoint, dict):
            raise ValueError(f'{filename!r} holds no state dict '
                             f'(a {type(checkpoint).__name__})')
        state = checkpoint.get('state_dict', checkpoint)
        for pattern, replacement in CAAE_REVISE_KEYS:
            state = {re.sub(pattern, replacement, k): v for k, v in state.items()}
        expected = self.caae.state_dict()
        problems = self._caae_mismatches(state, expected)
        if problems:
            raise ValueError(f'{filename!r} does not fit the CAAE config ('
                             + ', '.join(problems) + '). Is it the stage-1 checkpoint '
                             'trained with this CAAE config?')
        load_state_dict(self.caae, {k: state[k] for k in expected}, strict=True,
                        logger='current')
        self.caae_loaded = True
        unused = len(state) - len(expected)
        print_log(f'loaded the frozen CAAE from {filename} ({len(expected)} tensors'
                  + (f'; {unused} stage-1 entries not used, e.g. the decoder\'s)'
                     if unused else ')'), logger='current')

    @staticmethod
    def _caae_mismatches(state: Dict[str, Tensor],
                         expected: Dict[str, Tensor]) -> List[str]:
        """Descriptions of the keys of ``expected`` that ``state`` lacks and of
        those whose shapes differ (at most 5 of each); empty if it fits."""
        missing = [k for k in expected if k not in state]
        wrong = [f'{k}: checkpoint {tuple(state[k].shape)}, config {tuple(v.shape)}'
                 for k, v in expected.items()
                 if k in state and tuple(state[k].shape) != tuple(v.shape)]
        problems = []
        if missing:
            problems.append(f'{len(missing)} missing keys, e.g. {missing[:5]}')
        if wrong:
            problems.append(f'{len(wrong)} shape mismatches: ' + '; '.join(wrong[:5]))
        return problems

    # ---------------------------------------------------------------- training
    def _valid_masks(self, data_samples: Sequence, input_shape: Tuple[int, int],
                     size: Tuple[int, int]) -> Tensor:
        """(B, 1, s, s): 1 inside each sample's un-padded region, scaled from the
        batch's (H, W) ``input_shape`` to ``size``."""
        H, W = input_shape
        valid = torch.zeros(len(data_samples), 1, *size)
        for i, sample in enumerate(data_samples):
            _, right, _, bottom = sample.metainfo.get('padding_size', (0, 0, 0, 0))
            h = int((H - bottom) * size[0] / H)
            w = int((W - right) * size[1] / W)
            valid[i, :, :h, :w] = 1
        return valid

    def loss(self, inputs: Tensor, data_samples: Sequence) -> Dict[str, Tensor]:
        """The weighted stage-2 losses (float32) of a batch.

        Args:
            inputs (Tensor): (B, 3, H, W) normalised images.
            data_samples (Sequence[SegDataSample]): with ``gt_image_labels`` (K,)
                multi-hot (background = 1) and ``padding_size`` in the metainfo.

        Returns:
            dict[str, Tensor]: the head's switched-on losses, keyed ``loss_*``.
        """
        if self.caae is None and self.needs_caae:
            raise RuntimeError("this SemFormer was built with caae=None (inference "
                               "only): L_CF, L_CB and L'_SS need the stage-1 CAAE")
        labels = torch.stack([s.gt_image_labels for s in data_samples]).to(inputs)
        patches, class_tokens, hw = self.extract_feat(inputs)
        logits, class_emb = self.decode_head(patches, class_tokens, hw)
        size = self.caae_input_size
        valid = self._valid_masks(data_samples, inputs.shape[-2:], size).to(inputs)
        masks = F.interpolate(logits.float(), size, mode='bilinear',
                              align_corners=True).sigmoid() * valid
        # built (and given) iff L_CF, L_CB or L'_SS is on
        semantics = self.caae.class_semantics().float() if self.caae is not None else None
        pairs = None
        if self.decode_head.uses_caae:
            images = F.interpolate(inputs, size, mode='bilinear', align_corners=True)
            index, classes, own, others = present_pairs(labels)
            pair_masks = masks[index, classes][:, None]
            pair_images = images[index]
            both = torch.cat([pair_images * pair_masks, pair_images * (1 - pair_masks)])
            embeddings = self.caae.class_embeddings(both).float()  # (2S, K, D)
            fg_cos, bg_cos = pair_cosine(embeddings, semantics).chunk(2)
            pairs = dict(fg_cos=fg_cos, bg_cos=bg_cos, own=own, others=others)
        with torch.autocast(inputs.device.type, enabled=False):  # losses in float32
            return self.decode_head.loss_by_feat(
                None if class_emb is None else class_emb.float(), semantics, labels,
                masks, valid, pairs)

    # --------------------------------------------------------------- inference
    def image_scores(self, inputs: Tensor) -> Optional[Tensor]:
        """Image-level scores (B, K): ``cos(E_c, S_c)`` of the class embeddings of
        the class tokens against the CAAE's class semantics, the quantity L'_SS
        supervises (background included).

        None without a CAAE, without class embeddings, or when the CAAE holds no
        trained weights (no ``caae_checkpoint``, or the file does not exist: a
        warning names it): its construction-time weights would give meaningless
        scores. A CAAE not loaded yet (``tools/test.py`` does not call
        ``init_weights``) is loaded from ``caae_checkpoint`` here.
        """
        if self.caae is None:
            return None
        if not self.caae_loaded:
            ckpt = self.caae_checkpoint
            if ckpt is None or self._caae_unavailable:
                return None
            if '://' not in ckpt and not osp.isfile(ckpt):
                # CAMs need no CAAE: go on without the scores, say so once
                print_log(f'CAAE checkpoint {ckpt!r} not found: no image-level scores '
                          '(set model.caae_checkpoint to the stage-1 checkpoint)',
                          logger='current', level=logging.WARNING)
                self._caae_unavailable = True
                return None
            self.load_caae(ckpt)
        with self.autocast(inputs):
            patches, class_tokens, hw = self.extract_feat(inputs)
            _, class_emb = self.decode_head(patches, class_tokens, hw)
        if class_emb is None:
            return None
        return F.cosine_similarity(class_emb.float(), self.caae.class_semantics().float(),
                                   dim=-1, eps=1e-8)

    def forward_maps(self, inputs: Tensor) -> Dict[str, Tensor]:
        """One forward: {'plain': ReLU(logits)[, 'refined': CRA-fused]}, each
        (B, K, h, w) float32, from (B, 3, H, W) images."""
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
