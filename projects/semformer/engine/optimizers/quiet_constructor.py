"""An optimizer-wrapper constructor that logs a summary of its parameter groups
instead of mmengine's line per parameter."""
import logging
from contextlib import contextmanager
from typing import Dict, Iterator, List, Tuple

import torch.nn as nn
from mmengine.logging import MMLogger, print_log
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS
from torch.optim import Optimizer

# the two messages that mmengine's DefaultOptimWrapperConstructor.add_params logs
# for every parameter (0.10.x): its options, and that a frozen one is skipped
PARAMWISE_PREFIX = 'paramwise_options -- '
FROZEN_SUFFIX = 'is skipped since its requires_grad=False'
# group entries shown by the summary in any case; others only if they differ
# from the optimizer's defaults (e.g. ``lr_mult`` of ``custom_keys``, momentum)
SHOWN = ('lr', 'weight_decay')
HIDDEN = ('params', 'name', 'initial_lr')


class PerParameterLinesFilter(logging.Filter):
    """Drops mmengine's per-parameter lines of ``add_params`` and counts them.

    Attributes:
        options (int): ``paramwise_options -- ...`` lines dropped.
        frozen (int): ``... is skipped since its requires_grad=False`` lines
            dropped.
    """

    def __init__(self):
        super().__init__()
        self.options = 0
        self.frozen = 0

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith(PARAMWISE_PREFIX):
            self.options += 1
            return False
        if message.endswith(FROZEN_SUFFIX):
            self.frozen += 1
            return False
        return True


@contextmanager
def per_parameter_lines_muted() -> Iterator[PerParameterLinesFilter]:
    """Within the block, mmengine's current logger drops the per-parameter lines
    of ``DefaultOptimWrapperConstructor.add_params``; every other message (e.g.
    the duplicate-parameter warning) still goes out.

    Yields:
        PerParameterLinesFilter: the filter, with the counts of dropped lines.
    """
    logger = MMLogger.get_current_instance()
    line_filter = PerParameterLinesFilter()
    logger.addFilter(line_filter)
    try:
        yield line_filter
    finally:
        logger.removeFilter(line_filter)


def _format(value) -> str:
    return f'{value:.6g}' if isinstance(value, float) else str(value)


def _settings(group: dict, defaults: dict) -> Tuple[Tuple[str, str], ...]:
    """A group's name and learning-rate settings, as (key, formatted value)."""
    items = [('name', str(group['name']))] if 'name' in group else []
    items += [(k, _format(group[k])) for k in SHOWN if k in group]
    for key, value in group.items():
        if key in HIDDEN or key in SHOWN:
            continue
        try:
            same = key in defaults and bool(defaults[key] == value)
        except (RuntimeError, TypeError, ValueError):  # e.g. tensors
            same = False
        if not same:
            items.append((key, _format(value)))
    return tuple(items)


def param_groups_summary(optimizer: Optimizer, model: nn.Module) -> str:
    """One message on an optimizer's parameter groups.

    Groups with the same settings (name, ``lr``, ``weight_decay`` and entries that
    differ from the optimizer's defaults, e.g. ``lr_mult``) are counted together,
    in order of appearance: one line each with the number of tensors and values.
    Frozen parameters (``requires_grad=False``) of ``model`` are counted too, as
    left out or, if the optimizer holds them (mmengine without
    ``paramwise_cfg``), as never updated.

    Args:
        optimizer (Optimizer): the built optimizer.
        model (nn.Module): the model it was built for (wrappers are unwrapped).

    Returns:
        str: the message (several lines).
    """
    if is_model_wrapper(model):
        model = model.module
    settings: Dict[Tuple, List[int]] = {}
    held = set()
    for group in optimizer.param_groups:
        counts = settings.setdefault(_settings(group, optimizer.defaults), [0, 0])
        for param in group['params']:
            held.add(id(param))
            counts[0] += 1
            counts[1] += param.numel()
    frozen = [p for p in model.parameters() if not p.requires_grad]
    frozen_held = sum(id(p) in held for p in frozen)
    tensors = sum(c[0] for c in settings.values())
    values = sum(c[1] for c in settings.values())
    groups = len(optimizer.param_groups)
    lines = [f'{type(optimizer).__name__}: {tensors} parameter tensors '
             f'({values:,} values) in {groups} param group{"s" * (groups != 1)} '
             f'({len(settings)} distinct)']
    if frozen:
        lines[0] += (f'; {len(frozen)} frozen tensors '
                     f'({sum(p.numel() for p in frozen):,} values) '
                     + ('held but never updated' if frozen_held else 'left out'))
    for setting, (n, numel) in settings.items():
        text = ', '.join(v if k == 'name' else f'{k}={v}' for k, v in setting)
        lines.append(f'  {text}: {n} tensors ({numel:,} values)')
    return '\n'.join(lines)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class QuietOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's ``DefaultOptimWrapperConstructor`` (same ``paramwise_cfg``, same
    groups) that logs one summary of the parameter groups instead of a line per
    parameter (``paramwise_options -- ...``) and per frozen parameter (``... is
    skipped since its requires_grad=False``).

    Config: ``optim_wrapper=dict(constructor='QuietOptimWrapperConstructor',
    optimizer=..., paramwise_cfg=...)``.

    Args:
        optim_wrapper_cfg (dict): the optim wrapper config.
        paramwise_cfg (dict, optional): as mmengine's. Defaults to None.
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        with per_parameter_lines_muted():
            optim_wrapper = super().__call__(model)
        print_log(param_groups_summary(optim_wrapper.optimizer, model), logger='current')
        return optim_wrapper
