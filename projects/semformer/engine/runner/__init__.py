from .resumable_test_loop import ResumableTestLoop

__all__ = ['ResumableTestLoop']
