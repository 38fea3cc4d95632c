from typing import Dict, Optional, Sequence

import torch.nn as nn
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS

from .quiet_constructor import QuietOptimWrapperConstructor

DEFAULT_MULTS = dict(
    pretrained_weight=dict(lr_mult=1.0, decay_mult=1.0),
    pretrained_other=dict(lr_mult=2.0, decay_mult=0.0),
    new_weight=dict(lr_mult=10.0, decay_mult=1.0),
    new_other=dict(lr_mult=20.0, decay_mult=0.0),
)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class PretrainedNewParamGroupsConstructor(QuietOptimWrapperConstructor):
    """Four parameter groups, as SemFormer's authors build them (PuzzleCAM's
    ``get_parameter_groups``): pretrained or new, times weight or other.

    A parameter is *pretrained* when its name starts with one of ``pretrained``
    and does not start with one of ``new`` (e.g. class tokens that live in the
    backbone but start from scratch); it is a *weight* when its own name (the last
    part) contains ``weight`` (conv, linear and norm weights, ``class_embed_weight``),
    else *other* (biases, position embeddings, tokens). Frozen parameters
    (``requires_grad=False``, e.g. SemFormer's CAAE) are in no group. Logs one
    summary of the groups (``QuietOptimWrapperConstructor``).

    Config: ``optim_wrapper=dict(constructor='PretrainedNewParamGroupsConstructor',
    optimizer=..., paramwise_cfg=dict(pretrained=['backbone.'], new=[...]))``.

    Args:
        optim_wrapper_cfg (dict): the optim wrapper config.
        paramwise_cfg (dict, optional): ``pretrained`` (sequence[str], required),
            ``new`` (sequence[str], defaults to ``()``) and ``mults``: a dict of
            group name (``pretrained_weight``, ``pretrained_other``,
            ``new_weight``, ``new_other``) -> ``dict(lr_mult, decay_mult)``,
            updating ``DEFAULT_MULTS`` (1 / 2 without decay / 10 / 20 without
            decay). Defaults to None (an error: ``pretrained`` is needed).
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None):
        paramwise_cfg = dict(paramwise_cfg or {})
        if 'pretrained' not in paramwise_cfg:
            raise ValueError('PretrainedNewParamGroupsConstructor needs '
                             'paramwise_cfg.pretrained: the name prefixes of the '
                             "pretrained parameters, e.g. ['backbone.']")
        self.pretrained: Sequence[str] = tuple(paramwise_cfg.pop('pretrained'))
        self.new: Sequence[str] = tuple(paramwise_cfg.pop('new', ()))
        self.mults: Dict[str, dict] = {k: dict(v) for k, v in DEFAULT_MULTS.items()}
        for name, mult in paramwise_cfg.pop('mults', {}).items():
            if name not in self.mults:
                raise KeyError(f'unknown group {name!r}; groups: {list(self.mults)}')
            self.mults[name].update(mult)
        if paramwise_cfg:
            raise KeyError(f'unsupported paramwise_cfg keys {sorted(paramwise_cfg)}')
        super().__init__(optim_wrapper_cfg, None)
        # non-empty, so that the parent's __call__ goes through add_params
        self.paramwise_cfg = dict(pretrained=self.pretrained, new=self.new)

    def group_of(self, name: str) -> str:
        """The group name of parameter ``name``."""
        pretrained = name.startswith(self.pretrained) and not name.startswith(self.new)
        kind = 'weight' if 'weight' in name.rsplit('.', 1)[-1] else 'other'
        return f'{"pretrained" if pretrained else "new"}_{kind}'

    def add_params(self, params, module: nn.Module, prefix: str = '', **kwargs):
        """Fill ``params`` with the four groups (empty ones are left out)."""
        base_lr = self.optimizer_cfg.get('lr')
        if base_lr is None:
            raise KeyError('PretrainedNewParamGroupsConstructor needs optimizer.lr')
        base_wd = self.optimizer_cfg.get('weight_decay')
        groups = {name: [] for name in self.mults}
        for name, param in module.named_parameters(prefix=prefix.rstrip('.')):
            if param.requires_grad:
                groups[self.group_of(name)].append(param)
        for name, members in groups.items():
            if not members:
                continue
            mult = self.mults[name]
            group = dict(params=members, lr=base_lr * mult['lr_mult'], name=name)
            if base_wd is not None:
                group['weight_decay'] = base_wd * mult['decay_mult']
            elif mult['decay_mult'] == 0:  # not the optimizer's own default decay
                group['weight_decay'] = 0.0
            params.append(group)
