from .cam_overlay import cam_row, colorize, stack_rows

__all__ = ['cam_row', 'colorize', 'stack_rows']
