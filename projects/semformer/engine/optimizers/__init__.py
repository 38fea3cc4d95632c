from .cpu_autocast_optim_wrapper import CPUAutocastOptimWrapper
from .param_groups_constructor import PretrainedNewParamGroupsConstructor
from .quiet_constructor import (QuietOptimWrapperConstructor, param_groups_summary,
                                per_parameter_lines_muted)

__all__ = [
    'CPUAutocastOptimWrapper', 'PretrainedNewParamGroupsConstructor',
    'QuietOptimWrapperConstructor', 'param_groups_summary', 'per_parameter_lines_muted'
]
