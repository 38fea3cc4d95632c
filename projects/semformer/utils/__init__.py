from .checkpoint import register_safe_globals
from .launcher import prepare_launcher, shutdown_distributed
from .result_files import load_cams, load_label_png, save_cams, save_label_png

__all__ = [
    'register_safe_globals', 'prepare_launcher', 'shutdown_distributed', 'load_cams',
    'save_cams', 'save_label_png', 'load_label_png'
]
