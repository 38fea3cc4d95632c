import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class CTCProjectionHead(BaseModule):
    """The class-token projection of ToCo's class token contrast (CTC), DINO's
    head: an MLP (``num_layers`` linear layers with GELU between them, the last
    to ``bottleneck_channels``), L2 normalisation, then a bias-free linear layer
    whose rows are kept at unit norm (DINO's weight norm with the gain fixed to 1).

    A teacher copy (no gradients) follows the student as an exponential moving
    average, ``teacher = m teacher + (1 - m) student`` (:meth:`update_teacher`);
    ToCo updates it before every training step with m = 0.9 and averages only
    this head (its teacher class tokens come from the shared backbone, detached).

    Args:
        in_channels (int): Class-token width.
        out_channels (int): Defaults to 1024 (ToCo).
        hidden_channels (int): Defaults to 2048.
        bottleneck_channels (int): Defaults to 256.
        num_layers (int): Linear layers of the MLP. Defaults to 3.
        momentum (float): EMA momentum m. Defaults to 0.9.
        init_cfg (dict | None): Defaults to None: trunc-normal (std 0.02) MLP
            weights, zero biases, as the authors'.
    """

    def __init__(self, in_channels: int, out_channels: int = 1024,
                 hidden_channels: int = 2048, bottleneck_channels: int = 256,
                 num_layers: int = 3, momentum: float = 0.9, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.momentum = momentum
        dims = [in_channels] + [hidden_channels] * (max(num_layers, 1) - 1) + [
            bottleneck_channels]
        layers = []
        for i in range(len(dims) - 1):
            layers.append(nn.Linear(dims[i], dims[i + 1]))
            if i < len(dims) - 2:
                layers.append(nn.GELU())
        self.mlp = nn.Sequential(*layers)
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
        last = nn.Linear(bottleneck_channels, out_channels, bias=False)  # PyTorch's init
        self.last_weight = nn.Parameter(last.weight.detach().clone())
        self.teacher_mlp = copy.deepcopy(self.mlp).requires_grad_(False)
        self.teacher_last_weight = nn.Parameter(self.last_weight.detach().clone(),
                                                requires_grad=False)

    @staticmethod
    def _project(mlp: nn.Module, weight: Tensor, x: Tensor) -> Tensor:
        x = F.normalize(mlp(x), dim=-1, p=2)
        return F.linear(x, F.normalize(weight, dim=1))

    def forward(self, x: Tensor) -> Tensor:
        """Student: (..., C) -> (..., out_channels)."""
        return self._project(self.mlp, self.last_weight, x)

    @torch.no_grad()
    def forward_teacher(self, x: Tensor) -> Tensor:
        """Teacher (EMA copy, no gradients): (..., C) -> (..., out_channels)."""
        return self._project(self.teacher_mlp, self.teacher_last_weight, x)

    @torch.no_grad()
    def update_teacher(self) -> None:
        m = self.momentum
        student = list(self.mlp.parameters()) + [self.last_weight]
        teacher = list(self.teacher_mlp.parameters()) + [self.teacher_last_weight]
        for p, t in zip(student, teacher):
            t.mul_(m).add_(p.detach(), alpha=1 - m)
