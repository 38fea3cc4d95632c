from .hooks import CAAEReconstructionHook, CAMVisualizationHook
from .optimizers import CPUAutocastOptimWrapper
from .runner import ResumableTestLoop

__all__ = [
    'CAAEReconstructionHook', 'CAMVisualizationHook', 'CPUAutocastOptimWrapper',
    'ResumableTestLoop'
]
