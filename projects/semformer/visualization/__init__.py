from .cam_overlay import cam_row, colorize, stack_rows
from .runner_images import add_image_to_backends, backend_targets

__all__ = ['add_image_to_backends', 'backend_targets', 'cam_row', 'colorize', 'stack_rows']
