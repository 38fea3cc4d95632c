"""Distributed launch that also works on CPU-only machines (gloo)."""
import os

import torch
import torch.distributed as dist


def prepare_launcher(cfg, launcher):
    """Set ``cfg.launcher`` and, on a machine without CUDA, start gloo ourselves.

    mmengine 0.10.7's pytorch launcher calls ``torch.cuda.set_device``
    unconditionally and its runner passes ``device_ids=[LOCAL_RANK]`` to DDP, which
    only fits GPU modules. Without CUDA we initialise the ``gloo`` process group from
    the ``torchrun`` environment before the runner looks (it then skips its own
    initialisation) and build DDP with ``device_ids=None``. With CUDA nothing changes:
    mmengine uses the backend of ``env_cfg.dist_cfg`` (NCCL in mmseg's runtime).
    """
    cfg.launcher = launcher
    if launcher == 'none' or torch.cuda.is_available():
        return cfg
    if launcher != 'pytorch':
        raise ValueError(f'launcher {launcher!r} needs CUDA; on CPU use '
                         "'pytorch' (tools/dist_train.sh) or 'none'")
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    wrapper = dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper.update(cfg.get('model_wrapper_cfg') or {})
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    os.environ.setdefault('LOCAL_RANK', '0')
    return cfg


def shutdown_distributed():
    """Leave the process group cleanly (all ranks together) at the end of a run.

    Without this, a rank that exits while another still tears gloo down can make
    that other rank abort at interpreter exit.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def load_tool_config(config: str, cfg_options=None, launcher: str = 'none',
                     work_dir=None):
    """The config of ``tools/train.py`` / ``tools/test.py``: ``config`` with the
    ``--cfg-options`` merged, the launcher prepared (:func:`prepare_launcher`) and
    ``work_dir`` set (the argument, the config's, or ``./work_dirs/<config name>``).
    """
    import os.path as osp

    from mmengine.config import Config
    cfg = Config.fromfile(config)
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    prepare_launcher(cfg, launcher)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg
