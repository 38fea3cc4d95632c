from typing import Dict, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ...utils.metrics_json import write_metrics_json


@HOOKS.register_module()
class MetricsJsonHook(Hook):
    """Write the metrics of every validation to a JSON file (``tools/train.py
    --metrics-json``), so that scripts read them instead of scraping logs.

    The file holds the last validation's metrics and the iteration they belong to,
    ``{"iter": 500, "metrics": {"cam/mIoU": 61.2, ...}}``; it is replaced
    atomically after each validation (main process only).

    Args:
        path (str): the JSON file; folders are created.
    """
    priority = 'LOW'

    def __init__(self, path: str):
        self.path = path

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None):
        if is_main_process():
            write_metrics_json(dict(iter=runner.iter, metrics=dict(metrics or {})),
                               self.path)
