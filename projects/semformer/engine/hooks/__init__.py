from .cam_visualization_hook import CAMVisualizationHook
from .reconstruction_hook import CAAEReconstructionHook

__all__ = ['CAAEReconstructionHook', 'CAMVisualizationHook']
