import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel, ModuleList
from mmpretrain.models.backbones.vision_transformer import TransformerEncoderLayer
from mmseg.registry import MODELS

from .losses import with_defaults


@MODELS.register_module()
class ClassAwareAutoEncoder(BaseModel):
    """Class-Aware AutoEncoder (CAAE), stage 1 of SemFormer.

    Notation: B images, K classes (background included), D class dimension, d
    encoder width, hw patch tokens, P patch size.

    - encoder (patch tokens only): ``t`` (B, hw, d)
    - primary tokens ``T = ReLU(t W1)``: (B, hw, K*D)
    - class embeddings ``E = reduce_hw(T)``: (B, K, D), ``E >= 0``
    - class semantics ``S = ReLU(W_S)``: (K, D), ``S >= 0``
    - decoder: ``LayerNorm(T W2)`` (B, hw, d) -> width -> blocks -> norm -> (B, hw,
      3*P*P) -> folded image (B, 3, H, W)

    Losses: ``loss_ss = BCE(cos(E_c, S_c), y_c)`` (absent classes' S get no
    gradient from the image; :class:`SemanticSimilarityLoss`) and ``loss_recon =
    MSE(I_recon, I)`` on the normalised input (:class:`ReconstructionLoss`).

    Args:
        encoder (dict): a ``MultiClassTokenViT`` with ``num_class_tokens=0``.
        num_classes (int): K.
        class_dim (int): D.
        reduction (str): ``'sum'`` (paper default), ``'mean'`` or ``'max'``.
        decoder (dict | None): ``embed_dims``, ``num_layers``, ``num_heads`` of the
            decoder; None (or a reconstruction loss of weight 0) trains without
            reconstruction and builds no decoder.
        loss_ss (dict, optional): Defaults to ``SemanticSimilarityLoss``, weight 1.
        loss_recon (dict, optional): Defaults to ``ReconstructionLoss``, weight 1.
            A dict without ``type`` updates the default.
    """

    def __init__(self,
                 encoder,
                 num_classes,
                 class_dim=256,
                 reduction='sum',
                 decoder=dict(embed_dims=768, num_layers=8, num_heads=12),
                 loss_ss=None,
                 loss_recon=None,
                 data_preprocessor=None,
                 init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02)):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if reduction not in ('sum', 'mean', 'max'):
            raise ValueError(f'reduction must be sum, mean or max, not {reduction!r}')
        self.encoder = MODELS.build(encoder)
        if self.encoder.num_class_tokens:
            raise ValueError('the CAAE encoder takes patch tokens only: '
                             'num_class_tokens must be 0')
        self.num_classes = num_classes
        self.class_dim = class_dim
        self.reduction = reduction
        self.patch_size = self.encoder.patch_embed.projection.kernel_size[0]
        d = self.encoder.embed_dims
        self.primary = nn.Linear(d, num_classes * class_dim, bias=False)  # W1
        self.semantics = nn.Embedding(num_classes, class_dim)  # W_S
        self.loss_ss = MODELS.build(with_defaults(
            loss_ss, dict(type='SemanticSimilarityLoss', loss_weight=1.0)))
        self.loss_recon = MODELS.build(with_defaults(
            loss_recon, dict(type='ReconstructionLoss', loss_weight=1.0)))
        self.with_decoder = decoder is not None and self.loss_recon.loss_weight != 0
        if self.with_decoder:
            width = decoder['embed_dims']
            self.reproject = nn.Sequential(  # W2 + LayerNorm
                nn.Linear(num_classes * class_dim, d, bias=False), nn.LayerNorm(d))
            self.decoder_embed = nn.Linear(d, width)
            self.decoder_layers = ModuleList([
                TransformerEncoderLayer(
                    embed_dims=width,
                    num_heads=decoder['num_heads'],
                    feedforward_channels=4 * width,
                    qkv_bias=True,
                    norm_cfg=dict(type='LN')) for _ in range(decoder['num_layers'])
            ])
            self.decoder_norm = nn.LayerNorm(width)
            self.decoder_pred = nn.Linear(width, 3 * self.patch_size**2)

    def class_semantics(self):
        """S = ReLU(W_S): (K, D)."""
        return F.relu(self.semantics.weight)

    def primary_tokens(self, inputs):
        """(B, 3, H, W) -> T (B, hw, K*D) and the patch grid (h, w)."""
        patches, _, hw = self.encoder.forward_tokens(inputs)
        return F.relu(self.primary(patches)), hw

    def class_embeddings(self, inputs):
        """E: (B, K, D), differentiable with respect to ``inputs``."""
        tokens, _ = self.primary_tokens(inputs)
        return self._reduce(tokens)

    def _reduce(self, tokens):
        tokens = tokens.float()  # summing hw tokens in bfloat16 would lose precision
        if self.reduction == 'sum':
            emb = tokens.sum(1)
        elif self.reduction == 'mean':
            emb = tokens.mean(1)
        else:
            emb = tokens.amax(1)
        return emb.view(tokens.shape[0], self.num_classes, self.class_dim)

    def reconstruct(self, tokens, hw):
        """T (B, hw, K*D) -> reconstructed normalised image (B, 3, h*P, w*P)."""
        x = self.decoder_embed(self.reproject(tokens))
        for layer in self.decoder_layers:
            x = layer(x)
        x = self.decoder_pred(self.decoder_norm(x))  # (B, hw, 3*P*P)
        P = self.patch_size
        return F.fold(x.transpose(1, 2), output_size=(hw[0] * P, hw[1] * P),
                      kernel_size=P, stride=P)

    def similarity(self, embeddings, labels=None):
        """cos(E_c, S_c): (B, K). With ``labels`` (B, K), S of the classes an image
        lacks is detached for that image (it gets no gradient from it)."""
        sem = self.class_semantics()[None].expand(embeddings.shape[0], -1, -1)
        if labels is not None:
            y = labels[..., None]
            sem = sem * y + sem.detach() * (1 - y)
        return F.cosine_similarity(embeddings, sem, dim=-1, eps=1e-8)

    def loss(self, inputs, data_samples):
        labels = torch.stack([s.gt_image_labels for s in data_samples])
        tokens, hw = self.primary_tokens(inputs)
        sim = self.similarity(self._reduce(tokens), labels)
        losses = {self.loss_ss.loss_name: self.loss_ss(sim, labels)}
        if self.with_decoder:
            losses[self.loss_recon.loss_name] = self.loss_recon(
                self.reconstruct(tokens, hw), inputs)
        return losses

    def predict(self, inputs, data_samples):
        """Sets ``pred_image_scores`` = cos(E_c, S_c) (K,) on every sample."""
        scores = self.similarity(self.class_embeddings(inputs))
        for sample, score in zip(data_samples, scores):
            sample.pred_image_scores = score
        return data_samples

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.class_embeddings(inputs)
        raise ValueError(f'unknown mode {mode!r}')
