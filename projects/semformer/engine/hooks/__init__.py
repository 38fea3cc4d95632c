from .reconstruction_hook import CAAEReconstructionHook

__all__ = ['CAAEReconstructionHook']
