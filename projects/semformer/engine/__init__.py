from .hooks import CAAEReconstructionHook, CAMVisualizationHook
from .optimizers import CPUAutocastOptimWrapper

__all__ = ['CAAEReconstructionHook', 'CAMVisualizationHook', 'CPUAutocastOptimWrapper']
