from .hooks import CAAEReconstructionHook, CAMVisualizationHook

__all__ = ['CAAEReconstructionHook', 'CAMVisualizationHook']
