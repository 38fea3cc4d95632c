"""The pipeline library (stages, fingerprints, reuse, report), the dataset options
that point a config at another dataset, and the whole chain on a second world
(other class names, another class count) with every training cut to 2 iterations."""
import json
import os
import os.path as osp
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from conftest import REPO, load_tool, lr_curve
from semformer.apis import PipelineRunner, Stage
from semformer.apis.pipeline import load_config
from semformer.apis.adapt import dataset_options, key_options, num_classes_options
from semformer.apis.chains import REFINEMENTS, SEG_LABELS, SYNTHETIC, synthetic_chain
from semformer.datasets.synthetic import make_synthetic_voc, palette_png
from semformer.utils.result_files import load_cams

CALLS = []


def produce(stage_dir, value, source=None):
    """A 'call' stage: writes a file, returns its path and a metric."""
    CALLS.append(value)
    path = osp.join(stage_dir, 'out.txt')
    with open(path, 'w') as f:
        f.write(f'{value} from {source}')
    return dict(path=path, value=value, metrics=dict(score=len(str(value))))


def chain(a_value='x', b_source='{a.path}'):
    return [
        Stage('a', 'stage a', 'call', func=produce, kwargs=dict(value=a_value),
              summary=lambda m, o: f'score {m["score"]}'),
        Stage('b', 'stage b', 'call', func=produce,
              kwargs=dict(value='y', source=b_source)),
        Stage('c', 'stage c', 'call', func=produce, kwargs=dict(value='z')),
    ]


def run(tmp_path, stages, log=None):
    CALLS.clear()
    runner = PipelineRunner(stages, str(tmp_path / 'work'), root=REPO,
                            log=(log.append if log is not None else lambda s: None))
    runner.run()
    return runner


def test_stages_are_reused_only_while_their_inputs_are_unchanged(tmp_path):
    log = []
    runner = run(tmp_path, chain(), log)
    assert CALLS == ['x', 'y', 'z']
    assert [line for line in log if line.startswith('[stage')] == [
        '[stage 1/3] stage a', '[stage 2/3] stage b', '[stage 3/3] stage c']
    # b received a's output through the template
    b_out = runner.outputs('b')['path']
    assert open(b_out).read() == f'y from {runner.outputs("a")["path"]}'

    runner = run(tmp_path, chain())
    assert CALLS == []  # everything reused
    assert [r['status'] for r in runner.rows] == ['reused'] * 3

    # a changes: a and b (which reads a) rerun, c (independent) is reused
    runner = run(tmp_path, chain(a_value='xx'))
    assert CALLS == ['xx', 'y']
    assert [r['status'] for r in runner.rows] == ['done', 'done', 'reused']

    # only b's own argument changes: only b reruns
    runner = run(tmp_path, chain(a_value='xx', b_source='{a.path}!'))
    assert CALLS == ['y']


def test_an_interrupted_stage_resumes_and_a_changed_one_starts_clean(tmp_path):
    run(tmp_path, chain())
    work = tmp_path / 'work'
    record = json.loads((work / 'b' / 'stage.json').read_text())
    # as if b had been killed while running: same fingerprint, not finished
    (work / 'b' / 'stage.json').write_text(json.dumps(dict(
        fingerprint=record['fingerprint'], status='running', minutes_spent=2.0)))
    (work / 'b' / 'partial.txt').write_text('kept')
    runner = run(tmp_path, chain())
    assert CALLS == ['y']
    assert [r['status'] for r in runner.rows] == ['reused', 'resumed', 'reused']
    assert (work / 'b' / 'partial.txt').exists()  # a resumed stage keeps its files
    assert runner.records['b']['minutes'] >= 2.0  # the minutes of both attempts

    (work / 'b' / 'partial.txt').write_text('stale')
    run(tmp_path, chain(b_source='{a.path}?'))
    assert not (work / 'b' / 'partial.txt').exists()  # changed: cleared first


def test_the_report_is_written_after_every_stage(tmp_path):
    seen = []

    def check(stage_dir):
        report = json.loads((tmp_path / 'work' / 'results.json').read_text())
        seen.append([r['stage'] for r in report['rows']])
        return {}

    stages = chain()[:2] + [Stage('d', 'stage d', 'call', func=check)]
    runner = run(tmp_path, stages)
    assert seen == [['stage a', 'stage b']]  # a and b were reported before d ran
    md = (tmp_path / 'work' / 'results.md').read_text()
    assert '| stage a | done |' in md and 'score 1' in md
    assert '| stage d | done |' in md and md.rstrip().endswith('|')
    assert runner.rows[-1]['stage'] == 'stage d'


FAKE_TOOL = """
import json, os, sys
import torch
out, code = sys.argv[1], sys.argv[2]
torch.set_num_threads(2)
x = torch.randn(256, 256)
with open(out, 'w') as f:  # a multi-threaded torch op first
    json.dump(dict(argv=sys.argv, cwd=os.getcwd(), python=os.environ.get('PYTHON'),
                   name=__name__, sum=float((x @ x).sum() * 0)), f)
print('stage output')
if code == 'raise':
    raise RuntimeError('the stage broke')
sys.exit(int(code) if code.isdigit() else code)
"""


def test_a_forked_stage_runs_like_a_new_interpreter(tmp_path, capfd):
    """``run_forked``: the script is ``__main__`` with its own argv, cwd and
    environment and writes where this process writes; its exit code comes back
    as subprocess.run gives it; nothing of it leaks into this process. Torch ran
    here first, and the stage's own multi-threaded torch op does not hang (the
    stage is forked from the fork server, not from this process)."""
    import threading

    import torch
    from semformer.apis.pipeline import run_forked
    torch.set_num_threads(2)
    (torch.randn(256, 256) @ torch.randn(256, 256)).sum()  # this process's OpenMP pool
    script, cwd = tmp_path / 'tool.py', tmp_path / 'root'
    script.write_text(FAKE_TOOL)
    cwd.mkdir()
    argv, here = list(sys.argv), os.getcwd()
    for code, expected in (('0', 0), ('3', 3), ('raise', 1), ('bad input', 1)):
        out = tmp_path / f'{code}.json'
        cmd = [sys.executable, str(script), str(out), code]
        result = []
        worker = threading.Thread(target=lambda: result.append(
            run_forked(cmd, str(cwd), dict(os.environ, PYTHON='py'))), daemon=True)
        worker.start()
        worker.join(300)
        assert result == [expected], f'{code}: the stage hung or failed'
        assert json.loads(out.read_text()) == dict(
            argv=cmd[1:], cwd=str(cwd), python='py', name='__main__', sum=0.0)
    captured = capfd.readouterr()
    assert captured.out.count('stage output') == 4
    assert 'RuntimeError: the stage broke' in captured.err and 'bad input' in captured.err
    assert sys.argv == argv and os.getcwd() == here
    assert os.environ.get('PYTHON') != 'py'


def test_a_warm_runner_forks_its_stages_and_a_cold_one_starts_interpreters(tmp_path):
    """A 'train' stage through a stand-in tools/train.py that reports whether the
    pipeline's modules were already loaded (a fork) or not (a new interpreter);
    a failing stage is reported either way."""
    root = tmp_path / 'repo'
    (root / 'tools').mkdir(parents=True)
    (root / 'cfg.py').write_text('value = 1\n')
    (root / 'tools' / 'train.py').write_text("""
import json, os, sys
args = sys.argv[1:]
work, metrics = (args[args.index(k) + 1] for k in ('--work-dir', '--metrics-json'))
if 'fail' in work:
    sys.exit(5)
with open(os.path.join(work, 'last_checkpoint'), 'w') as f:
    f.write(os.path.join(work, 'iter_1.pth'))
with open(metrics, 'w') as f:
    json.dump(dict(metrics=dict(forked='semformer.apis.pipeline' in sys.modules)), f)
""")
    from semformer.apis.pipeline import StageFailed
    for warm in (True, False):
        stage = Stage('train', 'a training', 'train', 'cfg.py')
        runner = PipelineRunner([stage], str(tmp_path / f'work{warm}'), root=str(root),
                                warm=warm, log=lambda s: None)
        assert runner.warm is warm
        runner.run()
        assert runner.records['train']['metrics'] == dict(forked=warm)
        runner = PipelineRunner([Stage('fail', 'a failing one', 'train', 'cfg.py')],
                                str(tmp_path / f'work{warm}'), root=str(root),
                                warm=warm, log=lambda s: None)
        with pytest.raises(StageFailed, match='exit code 5'):
            runner.run()
    # another interpreter than this one is always started anew
    other = PipelineRunner([], str(tmp_path / 'w'), python='/usr/bin/env', warm=True)
    assert not other.warm
    # the default: where warm_start_possible says so
    from semformer.apis import pipeline
    for possible in (True, False):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(pipeline, 'warm_start_possible', lambda gpus: possible)
            assert PipelineRunner([], str(tmp_path / 'w')).warm is possible


def test_stages_are_forked_only_on_linux_without_gpu_one_process_each(monkeypatch):
    from semformer.apis import pipeline
    monkeypatch.setattr(pipeline.sys, 'platform', 'linux')
    monkeypatch.setattr(pipeline.osp, 'exists', lambda p: False)
    assert pipeline.warm_start_possible(1)
    assert not pipeline.warm_start_possible(2)  # tools/dist_*.sh
    for device in ('/dev/nvidiactl', '/dev/dxg', '/dev/kfd'):
        monkeypatch.setattr(pipeline.osp, 'exists', lambda p: p == device)
        assert not pipeline.warm_start_possible(1), device
    monkeypatch.setattr(pipeline.osp, 'exists', lambda p: False)
    monkeypatch.setattr(pipeline.sys, 'platform', 'darwin')
    assert not pipeline.warm_start_possible(1)


def test_templates_must_name_earlier_stages():
    with pytest.raises(ValueError, match="refers to \\['later'\\]"):
        PipelineRunner([Stage('a', 'a', 'call', func=produce,
                              kwargs=dict(value='{later.path}')),
                        Stage('later', 'l', 'call', func=produce,
                              kwargs=dict(value='v'))], '/tmp/unused')
    with pytest.raises(ValueError, match='identifier'):
        Stage('two words', 't', 'call', func=produce)
    with pytest.raises(ValueError, match='names used twice'):
        PipelineRunner(chain()[:1] * 2, '/tmp/unused')


def test_key_options_reach_into_lists():
    cfg = dict(
        model=dict(type='M', num_classes=7, head=dict(num_classes=7, num_class_tokens=6),
                   other=dict(num_class_tokens=1)),
        test_dataloader=dict(dataset=dict(
            type='SyntheticShapeDataset', data_root='data/synthetic/VOC2012',
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='LoadCAMs', cam_dir='old')])),
        data_root='data/synthetic/VOC2012')
    assert key_options(cfg, 'cam_dir', '/w/cams') == [
        'test_dataloader.dataset.pipeline.1.cam_dir=/w/cams']
    assert sorted(num_classes_options(cfg, 5)) == [
        'model.head.num_class_tokens=4', 'model.head.num_classes=5',
        'model.num_classes=5']  # the single class token stays
    assert dataset_options(cfg, '/d', 'ImageLabelFolderDataset') == [
        'test_dataloader.dataset.data_root=/d',
        'test_dataloader.dataset.type=ImageLabelFolderDataset']  # not the variable
    assert num_classes_options(dict(model=dict(type='PseudoLabelGenerator')), 5) == []


def test_the_main_chain_points_every_config_at_its_run(tmp_path):
    stages = {s.name: s for s in synthetic_chain(REPO, data_dir=str(tmp_path / 'd'))}
    # the upper bound first, so the report relates every later mIoU to it
    assert list(stages)[:6] == ['data', 'upper_bound', 'upper_bound_tta', 'caae',
                                'semformer', 'cams']
    assert stages['upper_bound'].inputs() == ['data']
    assert {n: s.score for n, s in stages.items() if s.score} == dict(
        upper_bound='mIoU', upper_bound_tta='mIoU', crf='pseudo/mIoU', par='pseudo/mIoU',
        seeds='pseudo/mIoU', threshold='pseudo/mIoU', seg='mIoU', seg_tta='mIoU')
    # one walk for two labellings: the random walk + CRF stage also writes the walk's
    # labels (before its CRF, the last of its two refiners), scored in two rows
    assert 'rw' not in stages and stages['rw_crf'].partial_out
    assert 'model.partial_refiners=1' in stages['rw_crf'].options
    rows = stages['rw_crf'].summary(
        {'pseudo/mIoU': 64.2, 'pseudo/FP': 1, 'pseudo/FN': 2, 'pseudo/labelled': 100,
         'pseudo/partial/mIoU': 55.0, 'pseudo/partial/FP': 3, 'pseudo/partial/FN': 4,
         'pseudo/partial/labelled': 100}, {})
    assert rows == [
        ('4 pseudo labels: AffinityNet random walk',
         'mIoU 55.0 (FP 3.0, FN 4.0, 100 % labelled)', 55.0),
        ('4 pseudo labels: random walk + dense CRF',
         'mIoU 64.2 (FP 1.0, FN 2.0, 100 % labelled)', 64.2)]
    # the multi-scale + flip tests: of the upper bound's and of the last network's
    # checkpoints, the latter related to the former (not to the single-scale bound)
    for name, trained in (('upper_bound_tta', 'upper_bound'), ('seg_tta', 'seg')):
        assert stages[name].checkpoint == '{%s.checkpoint}' % trained
        assert stages[name].args == ['--tta'] and stages[name].kind == 'test'
        assert stages[name].config == SYNTHETIC['seg']
    assert stages['upper_bound_tta'].inputs() == ['upper_bound']
    assert stages['seg_tta'].reference == stages['upper_bound_tta'].reference \
        == 'upper_bound_tta'
    assert all(s.reference is None for n, s in stages.items()
               if n not in ('seg_tta', 'upper_bound_tta'))
    plain = {s.name: s for s in synthetic_chain(REPO, data_dir=str(tmp_path / 'd'),
                                                upper_bound=False)}
    assert 'upper_bound_tta' not in plain and plain['seg_tta'].reference is None
    assert stages['semformer'].inputs() == ['caae']
    # CAMs and pseudo labels go to the run's folders, not into the dataset
    assert any(o.endswith('cam_dir={cams.out_dir}') for o in stages['crf'].options)
    assert any(o.endswith('seg_map_path={seeds.out_dir}')
               for o in stages['affinity'].options)
    assert any(o.endswith('seg_map_path={rw_crf.out_dir}') for o in stages['seg'].options)
    assert any(o.endswith('seg_map_path=SegmentationClass')
               for o in stages['upper_bound'].options)
    for s in stages.values():
        assert s.config is None or osp.isfile(osp.join(REPO, s.config)), s.config
    # every role runs its own config (the two DeepLabV3+ stages and the upper bound
    # share the segmentation network's; the random walk's labels come from the random
    # walk + CRF run, its config draws the figure's walk)
    assert {k: stages[k].config for k in SYNTHETIC if k != 'rw'} == \
        {k: c for k, c in SYNTHETIC.items() if k != 'rw'}
    figure_configs = [c for c, _ in stages['overlays'].kwargs['labels']]
    assert SYNTHETIC['rw'] in figure_configs
    assert stages['upper_bound'].config == stages['seg_tta'].config == SYNTHETIC['seg']
    # the CAMs' val threshold sets the background of every labelling of the maps,
    # the walked ones' too (not their configs' 0.25), in the figure too
    threshold = 'model.bg_threshold={semformer.metrics[cam/threshold]}'
    figure = dict(zip([r for r, _ in REFINEMENTS], stages['overlays'].kwargs['labels']))
    for role, _ in REFINEMENTS:
        walked = role in ('rw', 'rw_crf')
        for options in ([figure[role][1]] if role == 'rw' else
                        (stages[role].options, figure[role][1])):
            assert options.count(threshold) == 1, role
            assert ('model.refiners.0.checkpoint={affinity.checkpoint}' in options) is walked


def test_a_partial_labelling_must_be_the_first_refiners_of_its_run():
    from semformer.apis.chains import partial_refiner_count
    crf, walk = dict(type='DenseCRF'), dict(type='BoundaryRandomWalk')

    def cfg(*refiners, bg=0.25):
        return dict(model=dict(type='PseudoLabelGenerator', bg_threshold=bg,
                               refiners=list(refiners)))

    assert partial_refiner_count(cfg(walk), cfg(walk, crf), 'a.py', 'b.py') == 1
    assert partial_refiner_count(cfg(walk, crf), cfg(walk, crf, crf), 'a.py', 'b.py') == 2
    for part, whole in ((cfg(crf), cfg(walk, crf)),  # not its first refiner
                        (cfg(walk, bg=0.3), cfg(walk, crf)),  # another threshold
                        (cfg(), cfg(walk, crf))):  # no refiner
        with pytest.raises(ValueError, match='a.py does not label as the first refiners '
                                             'of b.py'):
            partial_refiner_count(part, whole, 'a.py', 'b.py')
    with pytest.raises(ValueError, match='b.py has no refiner after those of a.py'):
        partial_refiner_count(cfg(walk, crf), cfg(walk, crf), 'a.py', 'b.py')
    with pytest.raises(ValueError, match='partial_out goes with out_dir'):
        Stage('rw_crf', 'walk', 'test', config='c.py', partial_out=True)
    # a finished stage whose partial labels were deleted is not reused as finished
    stage = Stage('rw_crf', 'walk', 'test', config='c.py', out_dir=True, partial_out=True)
    assert stage.partial_out
    assert not PipelineRunner._outputs_exist(dict(outputs=dict(partial_dir='/nonexistent')))
    assert PipelineRunner._outputs_exist(dict(outputs=dict(partial_dir=REPO)))


def test_the_segmentation_network_trains_on_the_chosen_pseudo_labels(tmp_path):
    def seg(**kwargs):
        stages = {s.name: s for s in synthetic_chain(REPO, data_dir=str(tmp_path / 'd'),
                                                     **kwargs)}
        labels = [o for o in stages['seg'].options if 'seg_map_path=' in o]
        return stages, labels

    stages, labels = seg()  # the paper's: random walk + CRF
    assert [o.split('=')[1] for o in labels] == ['{rw_crf.out_dir}']
    assert stages['seg'].inputs() == ['rw_crf']
    assert stages['seg'].title == '5 DeepLabV3+ on the random walk + CRF labels'
    stages, labels = seg(seg_labels='par')
    assert [o.split('=')[1] for o in labels] == ['{par.out_dir}']
    assert stages['seg'].inputs() == ['par']
    assert stages['seg'].title == '5 DeepLabV3+ on the PAR labels'
    # every refinement still runs and is scored
    assert {'threshold', 'crf', 'par', 'seeds', 'affinity', 'rw_crf'} <= set(stages)
    # the random walk's labels: those the random walk + CRF stage writes before its CRF
    stages, labels = seg(seg_labels='rw')
    assert [o.split('=')[1] for o in labels] == ['{rw_crf.partial_dir}']
    assert stages['seg'].inputs() == ['rw_crf']
    with pytest.raises(ValueError, match="seg_labels 'gt': not one of threshold, crf"):
        seg(seg_labels='gt')
    assert set(SEG_LABELS) == {role for role, _ in REFINEMENTS}
    tool = load_tool('tools/run_pipeline.py')
    for dataset, why in (('voc', "paper's random walk"), ('coco', 'no DeepLabV3+')):
        # refused before the data root is looked at
        with pytest.raises(SystemExit, match=f'--seg-labels is for .*; .*{why}'):
            tool.build(tool.parse_args(['--dataset', dataset, '--data-root',
                                        str(tmp_path / 'none'), '--seg-labels', 'par']))


def second_world(root, size=64):
    """A VOC-layout folder of 4 other shapes (K = 5) with a classes.txt and labels
    only in the XML files, as a user's folder would be."""
    voc = make_synthetic_voc(str(root), seed=7, num_train=40, num_val=6, progress=False,
                             shapes=('heart', 'arrow', 'gear', 'lightning'), size=size)
    os.remove(osp.join(voc, 'cls_labels.json'))
    os.remove(osp.join(voc, 'synthetic.json'))
    return voc


def run_tool(args, cwd=REPO):
    proc = subprocess.run([sys.executable, 'tools/run_pipeline.py', *args], cwd=cwd,
                          capture_output=True, text=True, timeout=1200)
    return proc


def test_the_chain_runs_on_a_user_folder_then_reuses_it(tmp_path):
    # 96 px PNG images: the chain finds the suffix, runs at 64 px and writes maps
    # and labels at the images' own size
    voc = second_world(tmp_path / 'world', size=96)
    for name in os.listdir(osp.join(voc, 'JPEGImages')):
        jpg = osp.join(voc, 'JPEGImages', name)
        Image.open(jpg).save(jpg[:-4] + '.png')
        os.remove(jpg)
    # a train and a val image without objects: a warning; background-only labels
    empty = {}
    for split in ('train', 'val'):
        img_id = open(osp.join(voc, f'ImageSets/Segmentation/{split}.txt')).read().split()[1]
        palette_png(np.zeros((96, 96), np.uint8)).save(
            osp.join(voc, 'SegmentationClass', img_id + '.png'))
        xml = osp.join(voc, 'Annotations', img_id + '.xml')
        tree = ET.parse(xml)
        for obj in tree.getroot().findall('object'):
            tree.getroot().remove(obj)
        tree.write(xml)
        empty[split] = img_id
    work = str(tmp_path / 'run')
    args = ['--dataset', 'folder', '--data-root', voc, '--max-iters', '2',
            '--work-dir', work]
    proc = run_tool(args)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'the images are .png files' in proc.stdout
    assert 'runs at a long side of about 64 px' in proc.stdout
    assert '2 image(s) have no object class in their labels' in proc.stdout
    assert '[stage 15/15] overlays of val images' in proc.stdout
    report = json.loads(open(osp.join(work, 'results.json')).read())
    rows = {r['stage']: r for r in report['rows']}
    assert rows['dataset check']['result'].startswith('46 images, 5 classes')
    labels = [r for s, r in rows.items() if s.startswith('4 pseudo labels')]
    assert len(labels) == 6
    for r in labels:
        assert 0 < float(r['result'].split()[1]) <= 100, r

    train_ids = open(osp.join(voc, 'ImageSets/Segmentation/train.txt')).read().split()
    for name, folder in (('threshold', 'out'), ('rw_crf', 'out'), ('rw_crf', 'partial')):
        out = osp.join(work, name, folder)
        assert sorted(os.listdir(out)) == sorted(i + '.png' for i in train_ids)
        label = np.asarray(Image.open(osp.join(out, train_ids[0] + '.png')))
        assert label.shape == (96, 96)
        assert set(np.unique(label)) <= set(range(5)) | {255}
    assert sorted(os.listdir(osp.join(work, 'cams', 'out'))) == sorted(
        i + '.npz' for i in train_ids)
    _, fields = load_cams(osp.join(work, 'cams', 'out', train_ids[0] + '.npz'))
    assert fields['cams'].shape[1:] == (96, 96)
    keys, _ = load_cams(osp.join(work, 'cams', 'out', empty['train'] + '.npz'))
    assert keys.size == 0  # no maps for the image without objects
    for name in ('threshold', 'seeds', 'rw_crf'):
        label = np.asarray(Image.open(osp.join(work, name, 'out', empty['train'] + '.png')))
        assert (label == 0).all(), name
    assert not os.path.exists(osp.join(voc, 'CAMs'))  # nothing written into the data
    assert not os.path.exists(osp.join(voc, 'PseudoLabels'))

    again = run_tool(args)
    assert again.returncode == 0, again.stderr[-3000:]
    assert 'tools/train.py' not in again.stdout and 'tools/test.py' not in again.stdout
    report2 = json.loads(open(osp.join(work, 'results.json')).read())
    for before, after in zip(report['rows'], report2['rows']):
        if before['status']:
            assert after['status'] == ('done' if before['stage'] == 'dataset check'
                                       else 'reused'), after
        assert after['result'] == before['result']


def test_a_world_of_another_seed_in_place_of_the_embedded_one_is_kept(tmp_path,
                                                                     monkeypatch, capsys):
    """The embedded world's classes, another generator seed (a held-out set made with
    this generator): the folder chain runs on it; nothing is rewritten."""
    tool = load_tool('tools/run_pipeline.py')
    voc = make_synthetic_voc(str(tmp_path / 'synthetic'), seed=5, num_train=4, num_val=2,
                             progress=False)
    monkeypatch.setattr(tool, 'SYNTHETIC_DATA_DIR', str(tmp_path / 'synthetic'))
    stages, work, title = tool.build(tool.parse_args([]))
    out = capsys.readouterr().out
    assert 'made with other settings (seed: 5 (0 expected))' in out
    assert 'running the chain on it as a VOC-layout folder' in out
    assert work == 'work_dirs/pipeline_folder' and title.endswith('(7 classes)')
    assert {s.name: s for s in stages}['data'].kwargs['data_root'] == voc


def test_a_folder_without_annotations_takes_its_labels_from_the_masks(tmp_path, capsys):
    """classes.txt and masks, no XML and no label file: every dataset of the chain
    (and its check) reads the image-level labels from the masks."""
    import shutil

    from mmseg.registry import DATASETS
    tool = load_tool('tools/run_pipeline.py')
    voc = make_synthetic_voc(str(tmp_path), seed=7, num_train=4, num_val=2, progress=False,
                             shapes=('heart', 'gear'))
    for name in ('cls_labels.json', 'synthetic.json'):
        os.remove(osp.join(voc, name))
    shutil.rmtree(osp.join(voc, 'Annotations'))
    stages, _, _ = tool.build(tool.parse_args(['--dataset', 'folder', '--data-root', voc]))
    assert 'the image-level labels are the classes of each image' in capsys.readouterr().out
    stages = {s.name: s for s in stages}
    assert stages['data'].kwargs['labels_from_masks'] is True
    cfg = load_config(osp.join(REPO, stages['caae'].config), stages['caae'].options)
    for loader in ('train_dataloader', 'val_dataloader'):
        assert cfg[loader]['dataset']['labels_from_masks'] is True
    ds = DATASETS.build(dict(cfg.train_dataloader.dataset, pipeline=[]))
    mask = np.asarray(Image.open(ds.get_data_info(0)['seg_map_path']))
    labels = ds.get_data_info(0)['gt_image_labels']
    assert np.flatnonzero(labels).tolist() == [c for c in np.unique(mask) if c != 255]
    # a stage that trains on pseudo labels (here all background): the labels still
    # come from the ground-truth masks
    pseudo = tmp_path / 'pseudo'
    pseudo.mkdir()
    ids = open(osp.join(voc, 'ImageSets/Segmentation/train.txt')).read().split()
    for img_id in ids:
        Image.fromarray(np.zeros((64, 64), np.uint8)).save(pseudo / f'{img_id}.png')
    seg = stages['seg']
    cfg = load_config(osp.join(REPO, seg.config),
                      [o for o in seg.options if '{' not in o])
    assert cfg.train_dataloader.dataset.labels_from_masks is True
    prefix = dict(cfg.train_dataloader.dataset.data_prefix, seg_map_path=str(pseudo))
    ds2 = DATASETS.build(dict(cfg.train_dataloader.dataset, data_prefix=prefix,
                              pipeline=[]))
    assert ds2.get_data_info(0)['seg_map_path'].startswith(str(pseudo))
    np.testing.assert_array_equal(ds2.get_data_info(0)['gt_image_labels'], labels)


def test_a_folder_with_spaces_and_commas_in_its_path_is_read_through_a_link(tmp_path):
    tool = load_tool('tools/run_pipeline.py')
    voc = second_world(tmp_path / 'my data, v2')
    work = str(tmp_path / 'work')
    stages, _, _ = tool.build(tool.parse_args(['--dataset', 'folder', '--data-root', voc,
                                               '--work-dir', work]))
    link = osp.join(work, 'dataset')
    assert osp.realpath(link) == osp.realpath(voc)
    stages = {s.name: s for s in stages}
    assert stages['data'].kwargs['data_root'] == link
    assert f'data_root={link}' in ' '.join(stages['caae'].options)


def test_a_dataset_in_place_of_the_embedded_world_runs_as_a_folder(tmp_path, monkeypatch,
                                                                   capsys):
    tool = load_tool('tools/run_pipeline.py')
    voc = second_world(tmp_path / 'synthetic')  # a user's folder: no synthetic.json
    monkeypatch.setattr(tool, 'SYNTHETIC_DATA_DIR', str(tmp_path / 'synthetic'))
    stages, work, title = tool.build(tool.parse_args([]))
    assert 'without synthetic.json: running the chain on it as a VOC-layout folder' in \
        capsys.readouterr().out
    # the folder chain's own work dir: the embedded world's run is kept
    assert work == 'work_dirs/pipeline_folder' and title.endswith('(5 classes)')
    stages = {s.name: s for s in stages}
    assert stages['data'].kwargs['data_root'] == voc  # checked, not rewritten
    caae = ' '.join(stages['caae'].options)
    assert 'ImageLabelFolderDataset' in caae and 'num_classes=5' in caae
    assert 'batch_size' not in caae  # one image size: the configs' batches
    # images without objects: left out where a classifier trains, kept elsewhere
    assert 'train_dataloader.dataset.empty_images=skip' in stages['caae'].options
    assert 'val_dataloader.dataset.empty_images=keep' in stages['caae'].options
    assert 'train_dataloader.dataset.empty_images=skip' in stages['semformer'].options
    for name in ('seeds', 'affinity', 'seg', 'upper_bound'):  # trained on masks
        assert not any(o.endswith('empty_images=skip') for o in stages[name].options)
        assert any(o.endswith('empty_images=keep') for o in stages[name].options)
    # the CAMs of every train image, also those without objects (its config, a
    # SemFormer child, keeps the classifier's train loader, which a test never reads)
    assert 'test_dataloader.dataset.empty_images=keep' in stages['cams'].options
    assert not any(o.endswith('empty_images=skip') and not o.startswith('train_dataloader')
                   for o in stages['cams'].options)
    # the overlays load this run's CAAE, not the configs' default path
    assert 'model.caae_checkpoint={caae.checkpoint}' in stages['overlays'].kwargs['cam'][2]

    # one val image (and its mask) of another size: validation and test one by one
    img_id = open(osp.join(voc, 'ImageSets/Segmentation/val.txt')).read().split()[0]
    for sub, ext in (('JPEGImages', '.jpg'), ('SegmentationClass', '.png')):
        path = osp.join(voc, sub, img_id + ext)
        Image.open(path).resize((64, 48), Image.NEAREST).save(path)
    stages, _, _ = tool.build(tool.parse_args(['--dataset', 'folder', '--data-root', voc]))
    assert 'validation and test run one image a batch' in capsys.readouterr().out
    stages = {s.name: s for s in stages}
    assert 'val_dataloader.batch_size=1' in stages['caae'].options
    assert 'test_dataloader.batch_size=1' in stages['cams'].options
    assert 'test_dataloader.batch_size=1' in stages['seg_tta'].options
    assert 'test_dataloader.batch_size=1' in stages['upper_bound_tta'].options
    assert not any(o.startswith('train_dataloader.batch_size')
                   for s in stages.values() for o in s.options)


def test_a_bad_folder_is_refused_before_any_training(tmp_path):
    voc = second_world(tmp_path / 'world')
    os.remove(osp.join(voc, 'ImageSets/Segmentation/val.txt'))
    with open(osp.join(voc, 'classes.txt'), 'w') as f:
        f.write('background\nheart\narrow\ngear\n')  # lightning missing
    proc = run_tool(['--dataset', 'folder', '--data-root', voc, '--work-dir',
                     str(tmp_path / 'run')])
    assert proc.returncode != 0
    # each problem names its file (the masks hold lightning's index 4)
    assert 'val.txt does not exist' in proc.stderr, proc.stderr[-2000:]
    assert 'holds value(s) [4] outside the class range 0..3' in proc.stderr
    assert 'tools/train.py' not in proc.stdout


def test_the_voc_chain_uses_each_configs_gpu_layout(voc_root):
    from semformer.apis.chains import voc_chain
    stages = voc_chain(REPO, voc_root)
    runner = PipelineRunner(stages, '/tmp/unused', root=REPO, gpus=8)
    cmds = {s.name: runner._launch(s.kind, s.config, s, 'CKPT' if s.kind == 'test'
                                   else None) for s in stages if s.config}
    tools = osp.join(REPO, 'tools')
    # CAAE 8xb8 on 8 GPUs; SemFormer's stage 2 (1xb8) on one; AffinityNet 4xb8 on 4
    assert cmds['caae'][:2] == ['bash', osp.join(tools, 'dist_train.sh')]
    assert cmds['caae'][-1] == '8'
    assert cmds['semformer'][1:] == [osp.join(tools, 'train.py'),
                                     stages[2].config]
    assert cmds['affinity'][-1] == '4'
    assert cmds['cams'][-2:] == ['CKPT', '8']  # dist_test.sh CONFIG CHECKPOINT NPROC
    # every dataset of every config reads the given root
    for s in stages[1:]:
        assert f'train_dataloader.dataset.data_root={voc_root}' in s.options or \
            s.kind == 'test', s.name
    one = PipelineRunner(stages, '/tmp/unused', root=REPO, gpus=1)
    assert one._launch('test', 'C', stages[4]) == [sys.executable,
                                                   osp.join(tools, 'test.py'), 'C']


def test_a_shortened_training_ends_its_schedule_with_it():
    stages = {s.name: s for s in synthetic_chain(REPO)}
    seg = stages['seg']
    seg.max_iters = 400  # as tools/benchmark_quality.py --seg-iters 400
    runner = PipelineRunner(list(stages.values()), '/tmp/unused', root=REPO)
    opts = runner._train_options(seg)
    assert 'train_cfg.max_iters=400' in opts and 'param_scheduler.0.end=400' in opts
    assert runner._train_options(stages['caae']) == []  # full length: nothing


def test_a_seed_goes_to_every_training_and_into_the_fingerprints():
    stages = {s.name: s for s in synthetic_chain(REPO)}
    plain = PipelineRunner(list(stages.values()), '/tmp/unused', root=REPO)
    seeded = PipelineRunner(list(stages.values()), '/tmp/unused', root=REPO, seed=1)
    assert seeded._train_options(stages['caae']) == ['randomness.seed=1']
    assert seeded._train_options(stages['cams']) == []  # a test stage: no seed
    assert 'randomness.seed=1' not in plain._train_options(stages['caae'])
    assert seeded.fingerprint(stages['caae']) != plain.fingerprint(stages['caae'])
    seg = stages['seg']
    seg.max_iters = 400
    opts = seeded._train_options(seg)
    assert opts[0] == 'randomness.seed=1' and 'train_cfg.max_iters=400' in opts
    cfg = load_config(osp.join(REPO, seg.config), opts)
    assert cfg.randomness.seed == 1


@pytest.mark.parametrize('config', ['afa/afa_mit-b1_2xb2-20k_voc12aug-512x512.py',
                                    'toco/toco_vit-b_2xb2-20k_voc12aug-448x448.py'])
def test_a_shortened_warm_up_poly_is_the_authors_curve_over_the_new_length(config):
    """AFA/ToCo: linear warm-up to W, then lr (1 - t / T) ** power; shortened to
    T' iterations, the options give the same curve with T' (the drop at W too)."""
    from mmengine.config import Config, DictAction
    path = osp.join(REPO, 'configs', config)
    stage = Stage('seg', 'seg', 'train', config=path, max_iters=3000)
    opts = PipelineRunner([stage], '/tmp/unused', root=REPO)._train_options(stage)
    cfg = Config.fromfile(path)
    cfg.merge_from_dict({k: DictAction._parse_iterable(v)  # as tools/train.py parses
                         for k, v in (o.split('=', 1) for o in opts)})
    lr, T = cfg.optim_wrapper.optimizer.lr, cfg.train_cfg.max_iters
    poly = [s for s in cfg.param_scheduler if s.type == 'PolyLR'][0]
    W, power = poly.begin, poly.power
    assert T == 3000 and 0 < W < T
    lrs = lr_curve(cfg.param_scheduler, lr, T)
    for t in (W, W + 1, T // 2, T - 1):
        assert lrs[t] == pytest.approx(lr * (1 - t / T)**power, rel=1e-6), t


def test_report_relates_scores_to_the_reference_stage(tmp_path):
    """reference=(stage, metric, header): each row's score (a stage's ``score``
    metric or a summary row's third item) in % of the reference's, '' where a row
    has no score; the column is there from the first report on."""
    stages = [
        Stage('ub', 'upper bound', 'call', func=produce, kwargs=dict(value='abcd'),
              score='score'),  # score 4
        Stage('a', 'stage a', 'call', func=produce, kwargs=dict(value='ab'),
              score='score'),  # score 2
        Stage('b', 'stage b', 'call', func=produce, kwargs=dict(value='abc'),
              summary=lambda m, o: [('row 1', 'one', 3.0), ('row 2', 'two')]),
    ]
    runner = PipelineRunner(stages, str(tmp_path / 'work'), root=REPO, log=lambda s: None,
                            reference=('ub', 'score', '% of ub'))
    runner.run()
    with open(tmp_path / 'work/results.json') as f:
        rows = json.load(f)['rows']
    assert [(r['stage'], r['relative']) for r in rows] == [
        ('upper bound', '100'), ('stage a', '50'), ('stage b', ''), ('row 1', '75'),
        ('row 2', '')]
    assert '% of ub' in open(tmp_path / 'work/results.md').read()


def test_a_stage_can_relate_its_score_to_another_stage(tmp_path):
    """Stage(reference=...): that stage's score (same metric) replaces the runner's
    reference stage for this stage's rows; empty until it has run; no dependency;
    a name that is not a stage of the run is refused."""
    def snapshot(stage_dir):  # the report as it stands when this stage runs
        with open(osp.join(osp.dirname(stage_dir), 'results.json')) as f:
            return dict(rows=[[r['stage'], r['relative']] for r in json.load(f)['rows']])

    def stages(reference='ub2'):
        return [
            Stage('ub', 'upper bound', 'call', func=produce, kwargs=dict(value='abcd'),
                  score='score'),  # 4
            Stage('a', 'stage a', 'call', func=produce, kwargs=dict(value='ab'),
                  score='score', reference=reference,  # 2
                  summary=lambda m, o: [('row', 'one', 1.0)]),
            Stage('snap', 'snapshot', 'call', func=snapshot),
            Stage('ub2', 'upper bound 2', 'call', func=produce,
                  kwargs=dict(value='abcdefgh'), score='score', reference='ub2'),  # 8
        ]

    assert stages()[1].inputs() == []
    with pytest.raises(ValueError, match="'a': reference 'ub3' is not a stage"):
        PipelineRunner(stages('ub3'), str(tmp_path / 'w0'), root=REPO)
    runner = PipelineRunner(stages(), str(tmp_path / 'w1'), root=REPO, log=lambda s: None,
                            reference=('ub', 'score', '% of ub'))
    runner.run()
    assert runner.outputs('snap')['rows'] == [
        ['upper bound', '100'], ['stage a', ''], ['row', '']]
    with open(tmp_path / 'w1' / 'results.json') as f:
        assert [(r['stage'], r['relative']) for r in json.load(f)['rows']] == [
            ('upper bound', '100'), ('stage a', '25'), ('row', '12'), ('snapshot', ''),
            ('upper bound 2', '100')]


def test_classifier_configs_are_told_apart_by_what_they_train_on():
    """A folder's images without an object class are left out where a config trains
    on image labels alone, whatever its method or file name."""
    from semformer.apis.adapt import load
    from semformer.apis.chains import trains_on_image_labels
    image_labels = ('semformer/caae_vit-t8_1xb32-500_synthetic-64x64.py',
                    'semformer/semformer_vit-t8_1xb16-500_synthetic-64x64.py',
                    'mctformer/mctformer-v2_vit-t8_1xb16-500_synthetic-64x64.py',
                    'cam/cam_vit-t8_1xb16-500_synthetic-64x64.py',
                    'afa/afa_vit-t8_1xb16-500_synthetic-64x64.py',
                    'toco/toco_vit-t8_1xb16-500_synthetic-64x64.py')  # PackToCoInputs
    masks = ('affinitynet/affinitynet_vit-t8_1xb16-600_synthetic-64x64.py',
             'deeplabv3plus/deeplabv3plus_vit-t8_1xb16-2k_synthetic-pseudo-label-64x64.py',
             'pseudo_label/crf_semformer_synthetic.py')
    for name in image_labels + masks:
        cfg = load(osp.join(REPO, 'configs', name))
        assert trains_on_image_labels(cfg) == (name in image_labels), name
