"""write_metrics_json and the --metrics-json option of tools/test.py."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import REPO
from semformer.utils.metrics_json import to_builtin, write_metrics_json


def test_write_metrics_json_plain_values(tmp_path):
    path = tmp_path / 'a' / 'b' / 'metrics.json'  # folders are created
    metrics = {'mIoU': np.float32(61.5), 'aAcc': 90, 'cam/mIoU': torch.tensor(0.25),
               'per_class': np.array([1.5, 2.0]), 'nan': float('nan'),
               'nested': {'thr': (np.int64(3), torch.tensor([0.5, 1.0]))},
               'name': 'val', 'flag': np.bool_(True), 'none': None}
    written = write_metrics_json(metrics, str(path))
    with open(path) as f:
        content = json.load(f)
    assert content == written
    assert content == {'mIoU': 61.5, 'aAcc': 90.0, 'cam/mIoU': 0.25,
                       'per_class': [1.5, 2.0], 'nan': None,
                       'nested': {'thr': [3.0, [0.5, 1.0]]}, 'name': 'val',
                       'flag': True, 'none': None}
    assert type(content['aAcc']) is float
    assert os.listdir(osp.dirname(path)) == ['metrics.json']  # no temporary left


def test_write_metrics_json_replaces_and_rejects(tmp_path):
    path = str(tmp_path / 'metrics.json')
    write_metrics_json({'a': 1}, path)
    write_metrics_json({'b': 2.5}, path)
    with open(path) as f:
        assert json.load(f) == {'b': 2.5}
    with pytest.raises(TypeError, match='object'):
        write_metrics_json({'bad': object()}, path)
    with open(path) as f:  # the old file survives a failed write
        assert json.load(f) == {'b': 2.5}
    assert os.listdir(tmp_path) == ['metrics.json']
    with pytest.raises(TypeError, match='mapping'):
        write_metrics_json([1, 2], path)
    assert to_builtin(np.array(2.0)) == 2.0


def test_test_py_lists_the_option():
    out = subprocess.run([sys.executable, osp.join(REPO, 'tools', 'test.py'), '--help'],
                         capture_output=True, text=True, cwd=REPO, timeout=300)
    assert out.returncode == 0, out.stderr
    assert '--metrics-json' in out.stdout
