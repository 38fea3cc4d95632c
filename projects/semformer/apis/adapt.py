"""``--cfg-options`` that point a config at another dataset without editing it.

The chains are written for one dataset (the synthetic world, VOC, COCO); a user's
VOC-layout folder has its own root, class count and image size. These functions
read a config, find every place that holds such a setting (lists included, e.g. a
``LoadCAMs`` step inside a pipeline) and return the options that change them.
"""
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple

from mmengine.config import Config

Path = Tuple[Any, ...]


def walk(node: Any, path: Path = ()) -> Iterator[Tuple[Path, Any]]:
    """Every (path, mapping) in a nested config, depth first."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, path + (k, ))
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from walk(v, path + (i, ))


def dotted(path: Path) -> str:
    return '.'.join(str(p) for p in path)


def _literal(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return '(' + ','.join(_literal(v) for v in value) + ')'
    return str(value)


def key_options(cfg: dict,
                key: str,
                value: Any,
                where: Optional[Callable[[Path, dict], bool]] = None,
                under: Sequence[str] = ()) -> List[str]:
    """``path.key=value`` for every mapping holding ``key``.

    Args:
        cfg (dict): a resolved config (``Config.to_dict()``).
        key (str): the key to set.
        value (Any | callable): the new value, or ``value(old)`` -> new value
            (None leaves that place alone).
        where (callable, optional): ``where(path, mapping)`` selects the places.
            Defaults to None (all).
        under (Sequence[str]): only below these top-level keys. Defaults to ()
            (everywhere).

    Returns:
        list[str]: options for ``--cfg-options``.
    """
    options = []
    for path, node in walk(cfg):
        if key not in node or (under and (not path or path[0] not in under)):
            continue
        if where is not None and not where(path, node):
            continue
        new = value(node[key]) if callable(value) else value
        if new is None or new == node[key]:
            continue
        options.append(f'{dotted(path + (key, ))}={_literal(new)}')
    return options


def model_num_classes(cfg: dict) -> int:
    """K (with background) of a config's model: the largest ``num_classes``."""
    values = [n['num_classes'] for _, n in walk(cfg.get('model', {}))
              if isinstance(n.get('num_classes'), int)]
    if not values:
        raise ValueError('the config sets no num_classes in its model')
    return max(values)


def num_classes_options(cfg: dict, num_classes: int) -> List[str]:
    """Options that make a model predict ``num_classes`` classes (with background).

    ``num_classes`` and ``num_class_tokens`` equal to the config's K become the new
    K; equal to K - 1 (foreground only, e.g. MCTformer's class tokens) the new
    K - 1; other values (a single class token) stay. A model without
    ``num_classes`` (e.g. a pseudo-label generator, which reads the classes from
    the data) needs no option.
    """
    try:
        old = model_num_classes(cfg)
    except ValueError:
        return []

    def remap(v):
        if not isinstance(v, int) or isinstance(v, bool):
            return None
        return num_classes if v == old else num_classes - 1 if v == old - 1 else None

    return (key_options(cfg, 'num_classes', remap, under=('model', )) +
            key_options(cfg, 'num_class_tokens', remap, under=('model', )))


def is_dataset(path: Path, node: dict) -> bool:
    return 'data_root' in node and 'type' in node


def dataset_options(cfg: dict,
                    data_root: str,
                    dataset_type: Optional[str] = None,
                    num_classes: Optional[int] = None) -> List[str]:
    """Options that read every dataset of ``cfg`` from ``data_root``.

    Args:
        cfg (dict): a resolved config.
        data_root (str): the new dataset root.
        dataset_type (str, optional): a new dataset class for every dataset.
            Defaults to None (kept).
        num_classes (int, optional): K with background for the model. Defaults
            to None (kept).
    """
    options = key_options(cfg, 'data_root', data_root, where=is_dataset)
    if dataset_type:
        options += key_options(cfg, 'type', dataset_type, where=is_dataset)
    if num_classes is not None:
        options += num_classes_options(cfg, num_classes)
    return options


def load(config: str) -> dict:
    return Config.fromfile(config).to_dict()
