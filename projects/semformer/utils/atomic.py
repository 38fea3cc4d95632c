"""Atomic file writes: every file this package writes goes through here, so a killed
process leaves at most a ``*.tmp<pid>`` file, never a half-written one."""
import os
import os.path as osp
from typing import IO, Callable


def write_atomic(path: str, write: Callable[[IO], None], text: bool = False) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it.

    Args:
        path (str): the file to (re)place; its folder is created.
        write (callable): writes the content to the open file it is given.
        text (bool): open the temporary file in text mode (UTF-8) instead of
            binary. Defaults to False.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}'
    try:
        with open(tmp, 'w' if text else 'wb', **({'encoding': 'utf-8'} if text else {})) as f:
            write(f)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def write_text_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    write_atomic(path, lambda f: f.write(text), text=True)
