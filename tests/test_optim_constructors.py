"""The optimizer-wrapper constructors log one summary of the parameter groups,
not one line per parameter (mmengine's ``paramwise_options -- ...``)."""
import logging

import pytest
import torch.nn as nn
from mmengine.logging import MMLogger, print_log
from mmengine.optim import build_optim_wrapper

from conftest import capture_log as capture_log_at
from semformer.engine.optimizers import per_parameter_lines_muted

PARAMWISE = dict(custom_keys={'head': dict(lr_mult=10.0)}, bias_decay_mult=0.0,
                 norm_decay_mult=0.0)


class Tiny(nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.Linear(8, 8))
        self.head = nn.Linear(8, 3)
        self.frozen = nn.Linear(8, 8).requires_grad_(False)


def capture_log():
    """Messages at INFO and above, as the runner shows them."""
    return capture_log_at(logging.INFO)


def build(constructor, model=None, paramwise_cfg=PARAMWISE):
    cfg = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
               constructor=constructor)
    if paramwise_cfg is not None:
        cfg['paramwise_cfg'] = paramwise_cfg
    model = model or Tiny()
    with capture_log() as records:
        wrapper = build_optim_wrapper(model, cfg)
    return model, wrapper, [r.getMessage() for r in records]


def settings_of(model, wrapper):
    group_of = {id(p): g for g in wrapper.optimizer.param_groups for p in g['params']}
    return {n: (group_of[id(p)]['lr'], group_of[id(p)]['weight_decay'])
            for n, p in model.named_parameters() if id(p) in group_of}


def test_mmengine_logs_a_line_per_parameter():
    """Without our constructor: the flood that the test below removes."""
    _, _, messages = build('DefaultOptimWrapperConstructor')
    assert sum(m.startswith('paramwise_options -- ') for m in messages) >= 6
    assert sum(m.endswith('requires_grad=False') for m in messages) == 2


def test_quiet_constructor_logs_one_summary_and_builds_the_same_groups():
    reference, default, _ = build('DefaultOptimWrapperConstructor')
    model, quiet, messages = build('QuietOptimWrapperConstructor')
    assert not [m for m in messages if 'paramwise_options' in m]
    assert not [m for m in messages if 'requires_grad=False' in m]
    assert len(messages) == 1, messages
    summary = messages[0]
    # 2 + 2 + 2 backbone tensors and 2 head tensors; the frozen layer left out
    assert summary.startswith('AdamW: 8 parameter tensors')
    assert '2 frozen tensors (72 values) left out' in summary
    assert 'lr=0.01, weight_decay=0.05, lr_mult=10: 2 tensors (27 values)' in summary
    assert 'lr=0.001, weight_decay=0: 4 tensors (32 values)' in summary  # biases, norm
    assert 'lr=0.001, weight_decay=0.05: 2 tensors (96 values)' in summary  # weights
    assert settings_of(model, quiet) == settings_of(reference, default)
    frozen = {id(p) for p in model.frozen.parameters()}
    assert not frozen & {id(p) for g in quiet.optimizer.param_groups for p in g['params']}


def test_without_paramwise_cfg_frozen_tensors_are_reported_as_held():
    _, wrapper, messages = build('QuietOptimWrapperConstructor', paramwise_cfg=None)
    assert len(wrapper.optimizer.param_groups) == 1
    assert len(messages) == 1
    assert '2 frozen tensors (72 values) held but never updated' in messages[0]
    assert 'lr=0.001, weight_decay=0.05: 10 tensors' in messages[0]


def test_pretrained_new_constructor_logs_one_summary():
    model, wrapper, messages = build('PretrainedNewParamGroupsConstructor',
                                     paramwise_cfg=dict(pretrained=['backbone.']))
    assert len(messages) == 1, messages
    lines = messages[0].splitlines()
    assert lines[0].startswith('AdamW: 8 parameter tensors')
    assert 'left out' in lines[0]
    assert lines[1:] == [
        '  pretrained_weight, lr=0.001, weight_decay=0.05: 3 tensors (104 values)',
        '  pretrained_other, lr=0.002, weight_decay=0: 3 tensors (24 values)',
        '  new_weight, lr=0.01, weight_decay=0.05: 1 tensors (24 values)',
        '  new_other, lr=0.02, weight_decay=0: 1 tensors (3 values)']


def test_the_filter_is_removed_afterwards_and_lets_other_messages_through():
    with capture_log() as records:
        with per_parameter_lines_muted() as muted:
            print_log('paramwise_options -- a.weight:lr=1', logger='current')
            print_log('a.weight is skipped since its requires_grad=False',
                      logger='current', level=logging.WARNING)
            print_log('something else', logger='current', level=logging.WARNING)
        print_log('paramwise_options -- b.weight:lr=1', logger='current')
    assert [r.getMessage() for r in records] == [
        'something else', 'paramwise_options -- b.weight:lr=1']
    assert (muted.options, muted.frozen) == (1, 1)


def test_filter_is_removed_when_building_fails():
    logger = MMLogger.get_current_instance()
    before = list(logger.filters)
    with pytest.raises(TypeError):  # a string lr multiplier
        build_optim_wrapper(nn.Linear(2, 2), dict(
            optimizer=dict(type='SGD', lr=0.1), constructor='QuietOptimWrapperConstructor',
            paramwise_cfg=dict(custom_keys={'weight': dict(lr_mult='x')})))
    assert logger.filters == before
