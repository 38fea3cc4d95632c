from .checkpoint import register_safe_globals
from .launcher import prepare_launcher, shutdown_distributed

__all__ = ['register_safe_globals', 'prepare_launcher', 'shutdown_distributed']
