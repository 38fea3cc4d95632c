from .semformer import SemFormer

__all__ = ['SemFormer']
