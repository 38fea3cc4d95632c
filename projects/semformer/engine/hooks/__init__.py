from .cam_visualization_hook import CAMVisualizationHook
from .metrics_json_hook import MetricsJsonHook
from .reconstruction_hook import CAAEReconstructionHook

__all__ = ['CAAEReconstructionHook', 'CAMVisualizationHook', 'MetricsJsonHook']
