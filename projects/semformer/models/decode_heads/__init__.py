from .semformer_head import SemFormerHead

__all__ = ['SemFormerHead']
