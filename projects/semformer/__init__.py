"""SemFormer and WSSS components for MMSegmentation 1.x.

Importing this package registers every component in mmseg's registries.
"""
from .datasets import *  # noqa: F401,F403
from .engine import *  # noqa: F401,F403
from .evaluation import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .utils import register_safe_globals
from .version import __version__  # noqa: F401

register_safe_globals()
