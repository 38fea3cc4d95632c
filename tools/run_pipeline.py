"""The main job: the whole WSSS pipeline on the embedded synthetic dataset.

Stages that are not built yet are named as such; nothing stands in for them.
"""
import argparse
import subprocess
import sys
import time
from os import path as osp

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# (stage, what it will run); a stage without a command is not built yet.
STAGES = [
    ('synthetic data', [sys.executable, 'tools/make_synthetic_voc.py', '--out',
                        'data/synthetic', '--seed', '0', '--num-train', '2000',
                        '--num-val', '300', '--size', '96']),
    ('stage 1: CAAE training', None),
    ('stage 2: SemFormer training', None),
    ('CAMs with and without CRA', None),
    ('refinement and pseudo labels', None),
    ('segmentation retraining and evaluation', None),
]


def main():
    argparse.ArgumentParser(description=__doc__.split('\n')[0]).parse_args()
    rows = []
    for name, cmd in STAGES:
        if cmd is None:
            rows.append((name, 'not built yet', '-'))
            continue
        print(f'==> {name}: {" ".join(cmd)}', flush=True)
        t0 = time.time()
        subprocess.run(cmd, cwd=ROOT, check=True)
        rows.append((name, 'done', f'{(time.time() - t0) / 60:.2f}'))
    width = max(len(r[0]) for r in rows)
    print(f'\n{"stage":<{width}}  {"status":<14} minutes')
    for name, status, minutes in rows:
        print(f'{name:<{width}}  {status:<14} {minutes}')
    missing = [r[0] for r in rows if r[1] == 'not built yet']
    if missing:
        print('\nNot built yet (see the open issues): ' + '; '.join(missing) + '.')


if __name__ == '__main__':
    main()
