import torch
import torch.nn.functional as F
from mmseg.registry import MODELS

from ..utils import check_pretrained
from .cam_segmentor import CAMSegmentor

ATTENTION_TYPES = ('fused', 'patchcam', 'mct')


@MODELS.register_module()
class MCTformer(CAMSegmentor):
    """MCTformer (Xu et al., CVPR 2022): K - 1 foreground class tokens trained
    with multi-label classification (V1), plus a patch CAM (V2; ``MCTformerHead``).

    Maps (``test_cfg``), each (B, K - 1, h, w) before the zero background channel:
    - class-to-patch attention: the class-token rows over the patch tokens,
      averaged over heads and summed over the last ``attn_layers`` blocks;
    - ``attention_type``: ``'mct'`` that attention (V1), ``'patchcam'`` the V2
      patch CAM ``ReLU(conv(patches))``, ``'fused'`` (V2) their product;
    - ``patch_attn_refine``: multiplied by the patch-to-patch attention summed
      over all blocks, ``A (hw, hw) @ map (hw,)`` per class.
    The refined maps give ``pred_cams``; the plain ones (``pred_cams_plain`` with
    ``keep_plain``) are the patch CAM (V2) or the class-to-patch attention (V1).
    Attention rows are computed in float32. As in the authors' code, the class
    tokens and patch tokens are the raw outputs of the last block: the backbone's
    final LayerNorm is off unless ``backbone.final_norm=True`` is given (the
    channel mean of a LayerNorm output is almost constant, so class-token logits
    could not learn), and each summed map is min-max normalised per class.

    Args:
        backbone (dict): a ``MultiClassTokenViT`` with K - 1 class tokens;
            ``final_norm`` defaults to False.
        test_cfg (dict): ``CAMSegmentor``'s (``normalise`` defaults to
            ``'minmax'``) and ``attn_layers`` (default 3, the authors'
            ``--layer-index`` for V1 and V2), ``attention_type`` (default
            ``'fused'``), ``patch_attn_refine`` (default True).
    """

    def __init__(self, backbone, decode_head, train_cfg=None, test_cfg=None,
                 data_preprocessor=None, init_cfg=None, pretrained=None):
        check_pretrained(pretrained, 'MCTformer')
        backbone = dict(backbone)
        backbone.setdefault('final_norm', False)
        test_cfg = dict(dict(attn_layers=3, attention_type='fused', patch_attn_refine=True,
                             normalise='minmax'), **(test_cfg or {}))
        super().__init__(backbone, decode_head, train_cfg, test_cfg, data_preprocessor,
                         init_cfg)
        kind, U = test_cfg['attention_type'], test_cfg['attn_layers']
        if kind not in ATTENTION_TYPES:
            raise ValueError(f'attention_type must be one of {ATTENTION_TYPES}, not {kind!r}')
        if kind != 'mct' and self.decode_head.conv is None:
            raise ValueError(f"attention_type {kind!r} needs the V2 patch CAM "
                             "(MCTformerHead patch_cam=True); V1 uses 'mct'")
        if not 1 <= U <= len(self.backbone.layers):
            raise ValueError(f'attn_layers must be in 1..{len(self.backbone.layers)}, '
                             f'not {U}')

    def forward_maps(self, inputs):
        """One forward: {'plain', 'refined'}, each (B, K, h, w) in float32."""
        cfg = self.test_cfg
        K = self.backbone.num_class_tokens
        U, refine = cfg['attn_layers'], cfg['patch_attn_refine']
        with self.autocast(inputs):  # full rows of every block only for the refinement
            patches, class_tokens, hw, attns = self.extract_feat(
                inputs, attn_layers=len(self.backbone.layers) if refine else U,
                all_rows=refine)
            maps, _ = self.decode_head(patches, class_tokens, hw)
        B = inputs.shape[0]
        class_att = sum(attns[-U:])
        class_att = (class_att[:, :K, K:] if refine else class_att).reshape(B, K, *hw)
        patch_cam = None if maps is None else F.relu(maps[:, 1:].float())
        plain = class_att if patch_cam is None else patch_cam
        if cfg['attention_type'] == 'mct':
            refined = class_att
        elif cfg['attention_type'] == 'patchcam':
            refined = patch_cam
        else:
            refined = class_att * patch_cam
        if refine:
            patch_att = sum(attns)[:, K:, K:]  # (B, hw, hw)
            refined = torch.einsum('bij,bcj->bci', patch_att,
                                   refined.flatten(2)).reshape(B, K, *hw)
        pad = (0, 0, 0, 0, 1, 0)  # background channel 0
        return dict(plain=F.pad(plain, pad), refined=F.pad(refined, pad))
