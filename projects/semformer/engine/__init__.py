from .hooks import CAAEReconstructionHook

__all__ = ['CAAEReconstructionHook']
