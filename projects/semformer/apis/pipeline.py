"""Run a WSSS chain (CAMs -> pseudo labels -> segmentation network) as a table of
stages, each reused only when what produced its outputs has not changed.

A chain is a list of :class:`Stage` s. A stage trains a config (``tools/train.py``),
tests one (``tools/test.py``, optionally writing one file per image) or calls a
Python function. Options, checkpoints and function arguments are templates that
name the outputs of earlier stages, e.g. ``'model.caae_checkpoint={caae.checkpoint}'``
or ``'{cams.out_dir}'``, and the variables of the run (``'{data_root}'``); the names
they use are the stage's inputs.

Every stage lives in ``<work_dir>/<stage name>/`` with a ``stage.json`` record:
its fingerprint (a hash of the resolved config after the options, the resolved
options and checkpoint, the function arguments and the fingerprints of the stages
it reads), its status, outputs, metrics and the minutes it took. When the chain runs
again a stage is

- **reused** when its record is complete and its fingerprint matches;
- **resumed** when its record has the same fingerprint but is unfinished (a
  training continues from its last checkpoint, a per-image test skips the files
  already written);
- **rerun** from an empty folder otherwise; the stages that read it then change
  fingerprint and rerun too.

Metrics come from the JSON files ``tools/train.py --metrics-json`` (the last
validation) and ``tools/test.py --metrics-json`` write. After every stage the report
(``<work_dir>/<report>.json`` and ``.md``) is rewritten, so an interrupted run still
shows what it has done.
"""
import hashlib
import json
import os
import os.path as osp
import shutil
import string
import subprocess
import sys
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ..utils.atomic import write_text_atomic
from .report import write_table

Cells = Union[str, Sequence[Tuple[str, str]], None]


@dataclass
class Stage:
    """One step of a chain.

    Args:
        name (str): a Python identifier; the folder under the work dir and the name
            templates use for its outputs.
        title (str): shown in the progress line and the report.
        kind (str): ``'train'``, ``'test'`` or ``'call'``.
        config (str, optional): config path (relative to the repository root or
            absolute), for ``'train'`` and ``'test'``. Defaults to None.
        checkpoint (str, optional): checkpoint template for ``'test'``. Defaults
            to None.
        options (Sequence[str]): ``--cfg-options`` templates (``key=value``).
            Defaults to ().
        out_dir (bool): a ``'test'`` stage writes one file per image into
            ``<stage>/out`` (``test_cfg.out_dir``); its output ``out_dir``.
            Defaults to False.
        func (callable, optional): for ``'call'``: ``func(stage_dir, **kwargs)``
            returning a dict of outputs (JSON-serialisable), may hold ``metrics``.
            Defaults to None.
        kwargs (dict): templates of ``func``'s keyword arguments (strings are
            formatted, other values are passed as they are). Defaults to {}.
        always (bool): a ``'call'`` stage that runs every time (e.g. a dataset
            check); its fingerprint is then the hash of its outputs, so the stages
            that read it rerun only when its outputs change. Defaults to False.
        max_iters (int, optional): shorten this training. Defaults to None.
        summary (callable, optional): ``summary(metrics, outputs)`` -> the report
            cell of the stage (str), or a list of ``(row title, cell)`` or
            ``(row title, cell, score)`` for extra rows under it. Defaults to None.
        score (str, optional): the metric (e.g. ``'mIoU'``) that the runner's
            ``reference`` column relates to the reference stage's. Defaults to None.
        reference (str, optional): the name of the stage whose metric named by
            the runner's ``reference`` (e.g. ``'mIoU'``) this stage's score is
            divided by, instead of the runner's reference stage (e.g. a multi-scale
            test related to the upper bound's multi-scale test). Not a dependency:
            the cell stays empty until that stage has run. Defaults to None.
        after (Sequence[str]): stages it depends on besides those its templates
            name (e.g. the dataset check). Defaults to ().
        args (Sequence[str]): more command-line arguments of the tool (e.g.
            ``['--tta']``). Defaults to ().
        gpus (int, optional): the most processes this stage uses (its config's
            layout, e.g. 1 for ``1xb8``); the run's ``gpus`` caps it. Defaults to
            None (the run's).
        partial_out (bool): with ``out_dir``, also the partial labels of a
            ``PseudoLabelGenerator`` with ``partial_refiners`` into
            ``<stage>/partial`` (``test_cfg.partial_out_dir``); its output
            ``partial_dir``. Defaults to False.
    """
    name: str
    title: str
    kind: str
    config: Optional[str] = None
    checkpoint: Optional[str] = None
    options: Sequence[str] = ()
    out_dir: bool = False
    func: Optional[Callable[..., dict]] = None
    kwargs: Dict[str, Any] = field(default_factory=dict)
    always: bool = False
    max_iters: Optional[int] = None
    summary: Optional[Callable[[dict, dict], Cells]] = None
    score: Optional[str] = None
    reference: Optional[str] = None
    after: Sequence[str] = ()
    args: Sequence[str] = ()
    gpus: Optional[int] = None
    partial_out: bool = False

    def __post_init__(self):
        if not self.name.isidentifier():
            raise ValueError(f'stage name {self.name!r} is not a Python identifier')
        if self.kind not in ('train', 'test', 'call'):
            raise ValueError(f'stage {self.name!r}: kind must be train, test or call, '
                             f'got {self.kind!r}')
        if self.partial_out and not self.out_dir:
            raise ValueError(f'stage {self.name!r}: partial_out goes with out_dir')
        if self.kind == 'call' and self.func is None:
            raise ValueError(f"stage {self.name!r}: a 'call' stage needs func")
        if self.kind != 'call' and not self.config:
            raise ValueError(f'stage {self.name!r}: a {self.kind!r} stage needs config')

    def templates(self) -> List[str]:
        def strings(v):
            if isinstance(v, str):
                yield v
            elif isinstance(v, (list, tuple)):
                for x in v:
                    yield from strings(x)
            elif isinstance(v, dict):
                for x in v.values():
                    yield from strings(x)

        return list(strings([list(self.options), self.checkpoint or '',
                             list(self.kwargs.values())]))

    def inputs(self) -> List[str]:
        """The names (stages or variables) its templates refer to, and ``after``."""
        names = list(self.after)
        for text in self.templates():
            for _, fname, _, _ in string.Formatter().parse(text):
                if fname:
                    root = fname.split('.')[0].split('[')[0]
                    if root not in names:
                        names.append(root)
        return names


def _digest(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_config(config: str, options: Sequence[str] = ()):
    """``config`` with ``key=value`` options merged as ``--cfg-options`` would."""
    from mmengine.config import Config, DictAction
    cfg = Config.fromfile(config)
    if options:
        cfg.merge_from_dict({k: DictAction._parse_iterable(v)
                             for k, v in (o.split('=', 1) for o in options)})
    return cfg


def config_digest(config: str, options: Sequence[str]) -> str:
    """A hash of ``config`` resolved (its bases included) after ``options``."""
    return _digest(load_config(config, options).to_dict())


def _write_json(path: str, obj: Any):
    write_text_atomic(path, json.dumps(obj, indent=1, default=repr))


def _read_json(path: str) -> Optional[Any]:
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


class StageFailed(RuntimeError):
    """A stage's command failed; names the stage and its log."""


#: what the tools import, loaded once by the fork server of a warm pipeline
WARM_IMPORTS = ('torch', 'mmengine.runner', 'mmseg.apis', 'mmpretrain', 'semformer')


def warm_start_possible(gpus: int = 1) -> bool:
    """Whether stages may be started from a warm fork server: Linux (macOS forks
    badly once its system libraries run threads), one process per stage, and no
    GPU device node (NVIDIA, WSL, ROCm): forked GPU processes are not worth the
    risk where a training dwarfs the imports anyway."""
    return (sys.platform.startswith('linux') and gpus == 1 and not any(
        osp.exists(p) for p in ('/dev/nvidiactl', '/dev/dxg', '/dev/kfd')))


class _InheritedFd:
    """A file descriptor of this process, handed to a forkserver child as its own
    (``multiprocessing.reduction.DupFd`` made while the child is spawned)."""

    def __init__(self, fd: int):
        self.fd = fd

    def __reduce__(self):
        from multiprocessing import reduction
        return (_detach, (reduction.DupFd(self.fd), ))


def _detach(dup_fd) -> int:
    return dup_fd.detach()


def _run_stage_script(cmd: List[str], cwd: str, env: Dict[str, str], stdout: int,
                      stderr: int):
    """A warm stage's body, in a process forked by the fork server: this
    process's output goes where the pipeline's goes, fresh random seeds (a new
    interpreter's), then the script as ``__main__``."""
    import random
    import runpy

    import numpy as np
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    os.close(stdout)
    os.close(stderr)
    random.seed()
    np.random.seed()
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = list(cmd[1:])
    runpy.run_path(cmd[1], run_name='__main__')


def add_warm_argument(parser) -> None:
    """``--no-warm`` for a tool that runs a :class:`PipelineRunner`; pass
    ``warm=False if args.no_warm else None`` to it."""
    parser.add_argument('--no-warm', action='store_true',
                        help='start every stage in a new interpreter (default on Linux '
                        'without GPU: stages start from a fork server that imports '
                        'torch and the OpenMMLab packages once)')


def run_forked(cmd: Sequence[str], cwd: str, env: Mapping[str, str]) -> int:
    """Run ``cmd`` (``[python, script, *args]``) in a process forked from a fork
    server (``multiprocessing``'s ``forkserver``: a fresh interpreter that has
    imported :data:`WARM_IMPORTS` once and runs nothing else) instead of a new
    interpreter per stage. The script runs as ``__main__`` with ``sys.argv =
    cmd[1:]``, in ``cwd`` with ``env``, writing to this process's stdout and
    stderr. Returns the exit code as ``subprocess.run`` would (1 for an uncaught
    exception, whose traceback is printed; ``-N`` for signal N). Ctrl-C stops
    the stage (SIGINT, then SIGKILL after 30 s) and is raised again here."""
    import multiprocessing
    import signal
    ctx = multiprocessing.get_context('forkserver')
    ctx.set_forkserver_preload(list(WARM_IMPORTS))
    sys.stdout.flush()
    sys.stderr.flush()
    proc = ctx.Process(
        target=_run_stage_script, name='stage',
        args=(list(cmd), cwd, dict(env), _InheritedFd(1),
              _InheritedFd(2)))
    proc.start()
    try:
        proc.join()
    except KeyboardInterrupt:
        if proc.is_alive():
            os.kill(proc.pid, signal.SIGINT)
            proc.join(30)
        if proc.is_alive():
            proc.kill()
            proc.join()
        raise
    return proc.exitcode


class PipelineRunner:
    """Runs a chain of :class:`Stage` s in ``work_dir``.

    Args:
        stages (Sequence[Stage]): the chain, in order.
        work_dir (str): every stage's folder and the report live here.
        variables (dict): values templates may use besides stage outputs, e.g.
            ``data_root``. Defaults to {}.
        root (str): the repository root (``tools/`` and relative config paths).
            Defaults to the root this package is in.
        gpus (int): processes per training/test; above 1 they go through
            ``tools/dist_train.sh`` / ``dist_test.sh``. Defaults to 1.
        max_iters (int, optional): shorten every training (smoke tests).
            Defaults to None.
        seed (int, optional): ``randomness.seed`` of every training (a second
            seed of the whole chain), after the stage's own options, so it wins over
            a seed among them; None keeps each config's. Defaults to None.
        report (str): file stem of the report in ``work_dir``. Defaults to
            ``'results'``.
        title (str): the report's heading. Defaults to ``'WSSS pipeline'``.
        reference (tuple, optional): ``(stage name, metric, header)``: the report
            gets a column ``header`` with every row's score (a stage's ``score``
            metric, or the third item of a summary row) in % of that stage's
            metric, e.g. ``('upper_bound', 'mIoU', '% of upper bound')``; put the
            reference stage early so the column fills as the chain runs.
            Defaults to None.
        python (str): interpreter for the tools. Defaults to ``sys.executable``.
        log (callable): where progress lines go. Defaults to ``print``.
        warm (bool, optional): start each one-process stage from a fork
            server (:func:`run_forked`) that imports torch and the OpenMMLab
            packages once for the whole chain, instead of a new interpreter per
            stage (4-5 s of imports per stage on a 2-core CPU). Only with
            ``python`` the running interpreter. Defaults to None: on where
            :func:`warm_start_possible` (Linux, no GPU, one process per stage).
    """

    def __init__(self,
                 stages: Sequence[Stage],
                 work_dir: str,
                 variables: Optional[Mapping[str, Any]] = None,
                 root: Optional[str] = None,
                 gpus: int = 1,
                 max_iters: Optional[int] = None,
                 seed: Optional[int] = None,
                 report: str = 'results',
                 title: str = 'WSSS pipeline',
                 reference: Optional[Tuple[str, str, str]] = None,
                 python: str = sys.executable,
                 log: Callable[[str], None] = print,
                 warm: Optional[bool] = None):
        names = [s.name for s in stages]
        dups = sorted({n for n in names if names.count(n) > 1})
        if dups:
            raise ValueError(f'stage names used twice: {dups}')
        self.stages = list(stages)
        self.work_dir = osp.abspath(work_dir)
        self.variables = dict(variables or {})
        self.root = root or REPO_ROOT
        self.gpus, self.max_iters, self.seed = gpus, max_iters, seed
        self.report_stem, self.title = report, title
        self.reference = tuple(reference) if reference else None
        self.python, self.log = python, log
        self.warm = (warm_start_possible(gpus) if warm is None else warm) \
            and osp.abspath(python) == osp.abspath(sys.executable)
        self.records: Dict[str, dict] = {}
        self.rows: List[dict] = []
        known = set(self.variables)
        for s in self.stages:
            missing = [n for n in s.inputs() if n not in known]
            if missing:
                raise ValueError(f'stage {s.name!r} refers to {missing}: neither an '
                                 'earlier stage nor a variable')
            known.add(s.name)
        for s in self.stages:
            if s.reference is not None and s.reference not in names:
                raise ValueError(f'stage {s.name!r}: reference {s.reference!r} is not '
                                 'a stage of this run')

    # templates ------------------------------------------------------------------
    def _namespace(self) -> dict:
        ns = dict(self.variables)
        for name, rec in self.records.items():
            ns[name] = SimpleNamespace(**rec.get('outputs', {}),
                                       metrics=rec.get('metrics', {}))
        return ns

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str):
            return value.format(**self._namespace())
        if isinstance(value, (list, tuple)):
            return type(value)(self.resolve(v) for v in value)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value

    def _path(self, path: str) -> str:
        return path if osp.isabs(path) else osp.join(self.root, path)

    def fingerprint(self, stage: Stage) -> str:
        """What a stage's outputs depend on (see the module docstring)."""
        options = self.resolve(list(stage.options))
        parts = dict(kind=stage.kind, options=options, args=list(stage.args),
                     checkpoint=self.resolve(stage.checkpoint),
                     kwargs={k: self.resolve(v) for k, v in stage.kwargs.items()},
                     max_iters=self.max_iters or stage.max_iters,
                     gpus=self.processes(stage),
                     inputs={n: self.records[n]['fingerprint'] for n in stage.inputs()
                             if n in self.records},
                     variables={n: self.variables[n] for n in stage.inputs()
                                if n in self.variables})
        if stage.config:
            parts['config'] = config_digest(self._path(stage.config),
                                            options + self._train_options(stage))
        if stage.partial_out:  # only when set: the other stages keep their fingerprints
            parts['partial_out'] = True
        if stage.kind == 'call':
            parts['func'] = f'{stage.func.__module__}.{stage.func.__qualname__}'
        return _digest(parts)

    def _train_options(self, stage: Stage) -> List[str]:
        """Options the runner adds to a training: the runner's seed, if any; for a
        shortened training, the iterations, validation and checkpoint at the end,
        and every scheduler that ended with the config's schedule ends with the new
        one (``end`` = max_iters, or max_iters + 1 for schedules that are also
        stepped after the last iteration, as the warm-up + poly of AFA/ToCo), and the
        warm-up's drop to the poly curve, a ``ConstantLR`` with factor
        ``(1 - W / T) ** power`` at the poly's begin W, is recomputed for the new T."""
        if stage.kind != 'train':
            return []
        options = [] if self.seed is None else [f'randomness.seed={self.seed}']
        max_iters = self.max_iters or stage.max_iters
        if not max_iters:
            return options
        cfg = load_config(self._path(stage.config))
        options += [f'train_cfg.max_iters={max_iters}',
                    f'train_cfg.val_interval={max_iters}',
                    f'default_hooks.checkpoint.interval={max_iters}']
        schedulers = cfg.get('param_scheduler') or []
        if isinstance(schedulers, dict):
            schedulers = [schedulers]
        old = cfg.train_cfg.get('max_iters')
        polys = {}  # begin -> power of the poly schedules that end with the training
        for i, sched in enumerate(schedulers):
            end = sched.get('end')
            if (old is not None and end in (old, old + 1)
                    and sched.get('begin', 0) < max_iters):
                options.append(f'param_scheduler.{i}.end={max_iters + end - old}')
                if sched.get('type') == 'PolyLR':
                    polys[sched.get('begin', 0)] = sched.get('power', 1.0)
        for i, sched in enumerate(schedulers):
            # the drop at the end of the warm-up, (1 - W / T) ** power, belongs to
            # the poly decay that starts at W: recomputed for the new T
            begin, power = sched.get('begin', 0), polys.get(sched.get('begin', 0))
            if (sched.get('type') == 'ConstantLR' and power is not None and begin > 0
                    and abs(sched.get('factor', 0) - (1 - begin / old)**power) < 1e-9):
                options.append(
                    f'param_scheduler.{i}.factor={(1 - begin / max_iters)**power!r}')
        return options

    # running --------------------------------------------------------------------
    def run(self) -> List[dict]:
        """Run every stage in order; returns the report rows."""
        os.makedirs(self.work_dir, exist_ok=True)
        n = len(self.stages)
        for k, stage in enumerate(self.stages, 1):
            self.log(f'[stage {k}/{n}] {stage.title}')
            self.run_stage(stage)
            self.write_report()
        return self.rows

    def stage_dir(self, stage: Stage) -> str:
        return osp.join(self.work_dir, stage.name)

    def run_stage(self, stage: Stage) -> dict:
        sdir = self.stage_dir(stage)
        record_path = osp.join(sdir, 'stage.json')
        old = _read_json(record_path)
        if stage.always:
            fingerprint = None  # decided by the outputs
        else:
            fingerprint = self.fingerprint(stage)
        if (old and fingerprint and old.get('fingerprint') == fingerprint
                and old.get('status') == 'done' and self._outputs_exist(old)):
            self.log(f'  reused: {osp.relpath(sdir, self.root)} (fingerprint '
                     f'{fingerprint})')
            rec = dict(old, status='reused')
        else:
            resume = bool(old and fingerprint and old.get('fingerprint') == fingerprint)
            if old and not resume and osp.isdir(sdir) and not stage.always:
                self.log(f'  inputs or options changed: clearing '
                         f'{osp.relpath(sdir, self.root)}')
                shutil.rmtree(sdir)
            os.makedirs(sdir, exist_ok=True)
            spent = old.get('minutes_spent', 0.0) if resume else 0.0
            _write_json(record_path, dict(fingerprint=fingerprint, status='running',
                                          minutes_spent=spent))
            t0 = time.time()
            outputs, metrics = self._execute(stage, sdir, resume)
            minutes = spent + (time.time() - t0) / 60
            if stage.always:
                fingerprint = _digest(outputs)
            rec = dict(fingerprint=fingerprint, status='done', outputs=outputs,
                       metrics=metrics, minutes=minutes, minutes_spent=minutes)
            _write_json(record_path, rec)
            rec = dict(rec, status='resumed' if resume else 'done')
        self.records[stage.name] = rec
        self._add_rows(stage, rec)
        return rec

    @staticmethod
    def _outputs_exist(record: dict) -> bool:
        for key in ('checkpoint', 'out_dir', 'partial_dir'):
            path = record.get('outputs', {}).get(key)
            if path and not osp.exists(path):
                return False
        return True

    def _execute(self, stage: Stage, sdir: str, resume: bool) -> Tuple[dict, dict]:
        if stage.kind == 'call':
            kwargs = {k: self.resolve(v) for k, v in stage.kwargs.items()}
            outputs = dict(stage.func(sdir, **kwargs) or {})
            return outputs, outputs.pop('metrics', {})
        metrics_path = osp.join(sdir, 'metrics.json')
        options = self.resolve(list(stage.options)) + self._train_options(stage)
        config = self._path(stage.config)
        if stage.kind == 'train':
            if osp.isfile(metrics_path):
                os.remove(metrics_path)
            cmd = self._launch('train', config, stage)
            cmd += ['--work-dir', sdir, '--metrics-json', metrics_path, *stage.args]
            if resume and osp.isfile(osp.join(sdir, 'last_checkpoint')):
                cmd.append('--resume')
            if options:
                cmd += ['--cfg-options', *options]
            self._call(stage, cmd)
            with open(osp.join(sdir, 'last_checkpoint')) as f:
                checkpoint = f.read().strip()
            metrics = (_read_json(metrics_path) or {}).get('metrics', {})
            return dict(checkpoint=checkpoint), metrics
        outputs = {}
        if stage.out_dir:
            outputs['out_dir'] = osp.join(sdir, 'out')
            options.append(f'test_cfg.out_dir={outputs["out_dir"]}')
        if stage.partial_out:
            outputs['partial_dir'] = osp.join(sdir, 'partial')
            options.append(f'test_cfg.partial_out_dir={outputs["partial_dir"]}')
        cmd = self._launch('test', config, stage, self.resolve(stage.checkpoint))
        cmd += ['--work-dir', sdir, '--metrics-json', metrics_path, *stage.args]
        if options:
            cmd += ['--cfg-options', *options]
        self._call(stage, cmd)
        return outputs, _read_json(metrics_path) or {}

    def processes(self, stage: Stage) -> int:
        """``--gpus``, capped by the stage's own layout (e.g. 1 for a ``1xb8``
        config)."""
        return self.gpus if stage.gpus is None else max(1, min(stage.gpus, self.gpus))

    def _launch(self, what: str, config: str, stage: Stage,
                checkpoint: Optional[str] = None) -> List[str]:
        """The command line of ``tools/{what}.py`` or, for several processes,
        ``tools/dist_{what}.sh`` (``CONFIG [CHECKPOINT] NPROC``; ``none`` stands
        for no checkpoint)."""
        tools = osp.join(self.root, 'tools')
        n = self.processes(stage)
        ckpt = [checkpoint or 'none'] if what == 'test' else []
        if n > 1:
            return ['bash', osp.join(tools, f'dist_{what}.sh'), config, *ckpt, str(n)]
        return [self.python, osp.join(tools, f'{what}.py'), config,
                *([checkpoint] if checkpoint else [])]

    def _call(self, stage: Stage, cmd: List[str]):
        self.log('  $ ' + ' '.join(cmd))
        env = dict(os.environ, PYTHON=self.python)
        if self.warm and cmd[0] == self.python:
            returncode = run_forked(cmd, self.root, env)
        else:
            returncode = subprocess.run(cmd, cwd=self.root, env=env).returncode
        if returncode != 0:
            raise StageFailed(f'stage {stage.name!r} ({stage.title}) failed with exit '
                              f'code {returncode}; its logs are in '
                              f'{self.stage_dir(stage)}. Run the same command again to '
                              'resume from where it stopped.')

    # report ---------------------------------------------------------------------
    def _add_rows(self, stage: Stage, rec: dict):
        cells = stage.summary(rec.get('metrics', {}), rec.get('outputs', {})) \
            if stage.summary else ''
        main = cells if isinstance(cells, str) else ''
        score = rec.get('metrics', {}).get(stage.score) if stage.score else None
        self.rows = [r for r in self.rows if r.get('_stage') != stage.name]
        keys = dict(_stage=stage.name, _ref=stage.reference)
        self.rows.append(dict(keys, _score=score, stage=stage.title, status=rec['status'],
                              minutes=rec.get('minutes'), result=main or ''))
        if cells and not isinstance(cells, str):
            for title, cell, *rest in cells:
                self.rows.append(dict(keys, _score=rest[0] if rest else None, stage=title,
                                      status='', minutes=None, result=cell))

    def _relative(self, score: Optional[float], name: Optional[str] = None) -> str:
        """``score`` in % of the reference metric of stage ``name`` (default: the
        runner's reference stage); '' if either is missing."""
        default, key, _ = self.reference
        name = name or default
        ref = self.records.get(name, {}).get('metrics', {}).get(key)
        if score is None or not ref:
            return ''
        return f'{100 * float(score) / float(ref):.0f}'

    def write_report(self) -> str:
        """(Re)write ``<report>.json`` and ``.md``; returns the Markdown."""
        rows = [{k: v for k, v in r.items() if not k.startswith('_')} for r in self.rows]
        columns = [('stage', 'stage'), ('status', 'status'), ('minutes', 'minutes'),
                   ('result', 'result')]
        footer = dict(stage='total', status='', result='')
        if self.reference:
            columns.append(('relative', self.reference[2]))
            footer['relative'] = ''
            for row, raw in zip(rows, self.rows):
                row['relative'] = self._relative(raw.get('_score'),
                                                 raw.get('_ref'))
        total = sum(r['minutes'] or 0 for r in rows)
        footer['minutes'] = total
        return write_table(
            osp.join(self.work_dir, self.report_stem), rows,
            columns=columns,
            title=self.title,
            footer=footer,
            extra=dict(total_minutes=total,
                       stages={s: dict(fingerprint=r['fingerprint'],
                                       outputs=r.get('outputs', {}),
                                       metrics=r.get('metrics', {}))
                               for s, r in self.records.items()}))

    def outputs(self, name: str) -> dict:
        return self.records[name].get('outputs', {})

    def metrics(self, name: str) -> dict:
        return self.records[name].get('metrics', {})


REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
