from .cpu_autocast_optim_wrapper import CPUAutocastOptimWrapper
from .param_groups_constructor import PretrainedNewParamGroupsConstructor

__all__ = ['CPUAutocastOptimWrapper', 'PretrainedNewParamGroupsConstructor']
