"""The WSSS chains ``tools/run_pipeline.py`` runs, as tables of :class:`Stage` s.

- ``synthetic``: the embedded world (written first), the small ViT chain:
  CAAE -> SemFormer -> CAMs of train -> pseudo labels (threshold, CRF, PAR,
  confident seeds, AffinityNet random walk, random walk + CRF) -> DeepLabV3+ on
  the random walk + CRF labels (or another refinement's, ``seg_labels``), and the
  same DeepLabV3+ on the ground-truth masks (the upper bound);
- ``folder``: the same chain on any VOC-layout folder; data root, class count and
  dataset class are set through ``--cfg-options`` (:mod:`semformer.apis.adapt`),
  the configs are not edited;
- ``voc``: the paper's chain with the VOC configs;
- ``coco``: COCO 2014 (WSSS protocol): CAAE -> SemFormer -> CAMs of train.

Every output (checkpoints, CAMs, pseudo labels, reports) lives under the run's
work dir, so two runs on one dataset never overwrite each other.
"""
import json
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence

from .adapt import dataset_options, dotted, key_options, load, walk
from .pipeline import Stage

# the configs each chain runs, by role
SYNTHETIC = dict(
    caae='configs/semformer/caae_vit-t8_1xb32-500_synthetic-64x64.py',
    semformer='configs/semformer/semformer_vit-t8_1xb16-500_synthetic-64x64.py',
    cams='configs/semformer/semformer_vit-t8_1xb25-cams_synthetic-train.py',
    threshold='configs/pseudo_label/threshold_semformer_synthetic.py',
    crf='configs/pseudo_label/crf_semformer_synthetic.py',
    par='configs/pseudo_label/par_semformer_synthetic.py',
    seeds='configs/pseudo_label/seeds-crf_semformer_synthetic.py',
    affinity='configs/affinitynet/affinitynet_vit-t8_1xb16-600_synthetic-64x64.py',
    rw='configs/pseudo_label/rw_affinitynet-vit-t8_synthetic.py',
    rw_crf='configs/pseudo_label/rw-crf_affinitynet-vit-t8_synthetic.py',
    seg='configs/deeplabv3plus/deeplabv3plus_vit-t8_1xb16-2k_synthetic-pseudo-label-64x64.py',
)
VOC = dict(
    caae='configs/semformer/caae_deit-b-d_8xb8-33k_voc12aug-224x224.py',
    semformer='configs/semformer/semformer_deit-s_1xb8-26k_voc12aug-448x448.py',
    cams='configs/semformer/semformer_deit-s_8xb1-cams_voc12aug.py',
    seeds='configs/pseudo_label/seeds-crf_semformer_voc12aug.py',
    affinity='configs/affinitynet/affinitynet_r50_4xb8-1k_voc12aug-512x512.py',
    rw_crf='configs/pseudo_label/rw-crf_affinitynet-r50_voc12aug.py',
    seg='configs/deeplabv3plus/deeplabv3plus_r101-d8_4xb4-40k_voc12aug-pseudo-label-512x512.py',
)
COCO = dict(
    caae='configs/semformer/caae_deit-b-d_8xb8-100k_coco14-224x224.py',
    semformer='configs/semformer/semformer_deit-s_1xb8-80k_coco14-448x448.py',
)
REFINEMENTS = [  # role, what it is
    ('threshold', 'CAMs, background threshold'),
    ('crf', 'dense CRF'),
    ('par', 'PAR (AFA)'),
    ('seeds', 'confident regions (CRF; AffinityNet labels)'),
    ('rw', 'AffinityNet random walk'),
    ('rw_crf', 'random walk + dense CRF'),
]
#: the labels the small chain's DeepLabV3+ can train on, by role, as its stage names them
SEG_LABELS = dict(threshold='thresholded CAM', crf='dense CRF', par='PAR',
                  seeds='confident-region', rw='random walk', rw_crf='random walk + CRF')
#: roles whose labels another role's stage writes as its partial labels (the labels
#: before its last refiners): the random walk's, by the random walk + CRF stage, so
#: the chain walks once for both
PARTIAL_OF = dict(rw='rw_crf')


def label_dir(role: str) -> str:
    """The template of the folder holding a refinement role's pseudo labels."""
    if role in PARTIAL_OF:
        return f'{{{PARTIAL_OF[role]}.partial_dir}}'
    return f'{{{role}.out_dir}}'


def _f(metrics: dict, key: str) -> float:
    v = metrics.get(key)
    return float('nan') if v is None else float(v)


def cls_summary(metrics: dict, outputs: dict) -> str:
    return f'val mAP {_f(metrics, "cls/mAP"):.1f}, F1 {_f(metrics, "cls/F1"):.1f}'


def cam_summary(split: str) -> Callable[[dict, dict], list]:
    def summary(metrics, outputs):
        rows = []
        for prefix, name in (('cam/plain_', 'without CRA'), ('cam/', 'with CRA')):
            if prefix + 'mIoU' not in metrics:
                continue
            rows.append((f'CAM mIoU, {split}, {name}',
                         f'{_f(metrics, prefix + "mIoU"):.1f} (threshold '
                         f'{_f(metrics, prefix + "threshold"):.2f}, FP '
                         f'{_f(metrics, prefix + "FP"):.1f}, FN '
                         f'{_f(metrics, prefix + "FN"):.1f})',
                         metrics[prefix + 'mIoU']))
        if 'cls/mAP' in metrics:
            rows.append((f'image-level mAP, {split}', f'{_f(metrics, "cls/mAP"):.1f}'))
        return rows
    return summary


def partial_refiner_count(part: dict, whole: dict, part_path: str, whole_path: str) -> int:
    """How many refiners of config ``whole``'s ``PseudoLabelGenerator`` label as
    config ``part`` does: its whole refiner list, which must open ``whole``'s, with
    the same other model settings (thresholds, ``work_size``); else a ValueError
    naming both files."""
    pm, wm = part['model'], whole['model']
    refiners = list(pm.get('refiners', []))
    same = {k: v for k, v in pm.items() if k != 'refiners'} == \
        {k: v for k, v in wm.items() if k != 'refiners'}
    if not refiners or list(wm.get('refiners', []))[:len(refiners)] != refiners or not same:
        raise ValueError(f'{part_path} does not label as the first refiners of '
                         f'{whole_path} do (refiners or other model settings differ), '
                         'so that run cannot give its labels')
    if len(refiners) >= len(wm['refiners']):
        raise ValueError(f'{whole_path} has no refiner after those of {part_path}')
    return len(refiners)


def pseudo_summary(metrics: dict, outputs: dict, prefix: str = 'pseudo/') -> str:
    """The report cell of a labelling scored under ``prefix``."""
    if prefix + 'mIoU' not in metrics:
        return ''
    return (f'mIoU {_f(metrics, prefix + "mIoU"):.1f} (FP {_f(metrics, prefix + "FP"):.1f}, '
            f'FN {_f(metrics, prefix + "FN"):.1f}, '
            f'{_f(metrics, prefix + "labelled"):.0f} % labelled)')


def partial_summary(partial: str, final: str) -> Callable[[dict, dict], list]:
    """The report rows of a stage that writes two labellings.

    Args:
        partial (str): the row title of the partial labels (``pseudo/partial/``).
        final (str): the row title of the final ones (``pseudo/``).

    Returns:
        callable: ``summary(metrics, outputs)`` -> ``[(title, cell, score)]``,
        the partial row first.
    """
    def summary(metrics, outputs):
        return [(title, pseudo_summary(metrics, outputs, prefix), metrics.get(prefix + 'mIoU'))
                for title, prefix in ((partial, 'pseudo/partial/'), (final, 'pseudo/'))]
    return summary


def seg_summary(metrics: dict, outputs: dict) -> str:
    return f'val mIoU {_f(metrics, "mIoU"):.1f}' if 'mIoU' in metrics else ''


class ChainBuilder:
    """Builds stages whose configs read one dataset and write under the run.

    Args:
        root (str): the repository root (configs are relative to it).
        data_options (callable): ``data_options(config)`` -> the options that point
            a config at the run's dataset (and class count).
    """

    def __init__(self, root: str, data_options: Callable[[str], List[str]]):
        self.root = root
        self.data_options = data_options
        self._cfgs: Dict[str, dict] = {}

    def cfg(self, config: str) -> dict:
        if config not in self._cfgs:
            self._cfgs[config] = load(osp.join(self.root, config))
        return self._cfgs[config]

    def options(self, config: str, extra: Sequence[str] = (), cam_dir: str = None,
                train_labels: str = None) -> List[str]:
        """The dataset options, then ``cam_dir`` for every ``LoadCAMs``, then the
        training masks' folder, then ``extra``."""
        cfg = self.cfg(config)
        opts = list(self.data_options(config))
        if cam_dir:
            opts += key_options(cfg, 'cam_dir', cam_dir,
                                where=lambda p, n: n.get('type') == 'LoadCAMs')
        if train_labels:
            opts += key_options(cfg, 'seg_map_path', train_labels,
                                under=('train_dataloader', ))
        return opts + list(extra)


def semformer_small_chain(b: ChainBuilder, configs: Dict[str, str] = SYNTHETIC,
                          data_stage: Optional[Stage] = None,
                          upper_bound: bool = True,
                          seg_labels: str = 'rw_crf') -> List[Stage]:
    """The small-ViT chain of the synthetic world and of user folders.

    Args:
        b (ChainBuilder): points each config at the run's dataset.
        configs (dict): the config of each role. Defaults to ``SYNTHETIC``.
        data_stage (Stage, optional): the stage that writes or checks the data.
            Defaults to None.
        upper_bound (bool): add DeepLabV3+ on the ground-truth masks. Defaults to
            True.
        seg_labels (str): the pseudo labels DeepLabV3+ trains on, a key of
            ``SEG_LABELS``. Defaults to ``'rw_crf'`` (the paper's: AffinityNet's
            random walk, then dense CRF). Every refinement runs and is scored
            either way.
    """
    if seg_labels not in SEG_LABELS:
        raise ValueError(f'seg_labels {seg_labels!r}: not one of {", ".join(SEG_LABELS)}')
    c = configs
    after = ('data', ) if data_stage else ()
    stages = [
        Stage('caae', '1 CAAE (stage 1)', 'train', c['caae'],
              options=b.options(c['caae']), summary=cls_summary, after=after),
        Stage('semformer', '2 SemFormer (stage 2)', 'train', c['semformer'],
              options=b.options(c['semformer'],
                                ['model.caae_checkpoint={caae.checkpoint}']),
              summary=cam_summary('val')),
        Stage('cams', '3 CAMs of the train split (multi-scale + flip, CRA)', 'test',
              c['cams'], checkpoint='{semformer.checkpoint}', out_dir=True,
              options=b.options(c['cams'], ['model.caae_checkpoint={caae.checkpoint}']),
              summary=cam_summary('train')),
    ]
    threshold = ['model.bg_threshold={semformer.metrics[cam/threshold]}']

    def refine_options(role: str) -> List[str]:
        # the CAMs' val threshold sets the background of every labelling, the
        # walked maps' too (divided by their maximum, they share the CAMs' 0-1
        # range; the authors' fixed 0.25 is their configs' for VOC)
        if role.startswith('rw'):
            return threshold + ['model.refiners.0.checkpoint={affinity.checkpoint}']
        return list(threshold)

    titles = dict(REFINEMENTS)
    for role, what in REFINEMENTS:
        if role == 'rw':
            stages.append(Stage(
                'affinity', '4 AffinityNet on the confident seeds', 'train',
                c['affinity'], options=b.options(c['affinity'],
                                                 train_labels='{seeds.out_dir}')))
        if role in PARTIAL_OF:
            continue  # written by the stage of PARTIAL_OF[role]
        partial = [r for r, whole in PARTIAL_OF.items() if whole == role]
        options = b.options(c[role], refine_options(role), cam_dir='{cams.out_dir}')
        if partial:  # one run, two labellings: e.g. the walk, then the walk + CRF
            count = partial_refiner_count(b.cfg(c[partial[0]]), b.cfg(c[role]),
                                          c[partial[0]], c[role])
            stages.append(Stage(
                role, f'4 {titles[partial[0]]} and {what} (one run)', 'test', c[role],
                out_dir=True, partial_out=True,
                options=options + [f'model.partial_refiners={count}'],
                summary=partial_summary(f'4 pseudo labels: {titles[partial[0]]}',
                                        f'4 pseudo labels: {what}')))
        else:
            stages.append(Stage(
                role, f'4 pseudo labels: {what}', 'test', c[role], out_dir=True,
                options=options, summary=pseudo_summary, score='pseudo/mIoU'))
    stages.append(Stage(
        'seg', f'5 DeepLabV3+ on the {SEG_LABELS[seg_labels]} labels', 'train', c['seg'],
        options=b.options(c['seg'], train_labels=label_dir(seg_labels)),
        summary=seg_summary, score='mIoU'))
    def tta_stage(name: str, title: str, trained: str, reference: Optional[str]):
        # the multi-scale + flip test of a DeepLabV3+ stage's checkpoint, its
        # % related to the upper bound's multi-scale + flip test
        return Stage(name, title, 'test', c['seg'], checkpoint=f'{{{trained}.checkpoint}}',
                     args=['--tta'], options=b.options(c['seg']), summary=seg_summary,
                     score='mIoU', reference=reference)

    stages.append(tta_stage('seg_tta', '6 DeepLabV3+, val, multi-scale + flip', 'seg',
                            'upper_bound_tta' if upper_bound else None))
    labels = [r for r, _ in REFINEMENTS]
    stages.append(Stage(
        'overlays', 'overlays of val images', 'call', func=draw_overlays,
        kwargs=dict(
            root=b.root, cam=[c['semformer'], '{semformer.checkpoint}',
                              b.options(c['semformer'],
                                        ['model.caae_checkpoint={caae.checkpoint}'])],
            labels=[[c[r], b.options(c[r], refine_options(r))] for r in labels],
            seg=[c['seg'], '{seg.checkpoint}', b.options(c['seg'])]),
        summary=lambda m, o: o['figure']))
    if upper_bound:  # first: the report relates every later mIoU to it as it runs
        stages[:0] = [
            Stage('upper_bound', '0 DeepLabV3+ on the ground-truth masks (upper bound)',
                  'train', c['seg'],
                  options=b.options(c['seg'], train_labels='SegmentationClass'),
                  summary=seg_summary, score='mIoU', after=after),
            tta_stage('upper_bound_tta', '0 upper bound, val, multi-scale + flip',
                      'upper_bound', 'upper_bound_tta')]
    return ([data_stage] if data_stage else []) + stages


#: the report column of the chains with an upper-bound stage
UPPER_BOUND_REFERENCE = ('upper_bound', 'mIoU', '% of upper bound')


def draw_overlays(stage_dir: str, root: str, cam: list, labels: list, seg: list,
                  num_images: int = 6) -> dict:
    """The pipeline figure (:func:`draw_pipeline_figure`) of a chain's models."""
    from ..visualization.pipeline_figure import draw_pipeline_figure
    from .pipeline import load_config

    def config(path, options):
        return load_config(osp.join(root, path), options)

    label_cfgs = []
    for path, options in labels:
        cfg = config(path, options)
        cfg.setdefault('name', osp.splitext(osp.basename(path))[0])
        label_cfgs.append(cfg)
    out = osp.join(stage_dir, 'overlays.png')
    print(draw_pipeline_figure(config(cam[0], cam[2]), cam[1], out, label_cfgs,
                               config(seg[0], seg[2]), seg[1], num_images))
    return dict(figure=out)


def synthetic_data_stage(out: str, **kwargs) -> Stage:
    """The stage that writes the synthetic world (kept when already there)."""
    return Stage('data', 'synthetic data', 'call', func=make_synthetic_data,
                 kwargs=dict(out=out, **kwargs), always=True,
                 summary=lambda m, o: f'{o["num_train"]:,} train + {o["num_val"]:,} val '
                 f'images, {o["num_classes"]} classes, {o["size"]} px, '
                 f'{"written" if m.get("written") else "kept"}')


def make_synthetic_data(stage_dir: str, out: str, **kwargs) -> dict:
    from ..datasets.synthetic import ensure_synthetic_voc
    root, written = ensure_synthetic_voc(out, **kwargs)
    with open(osp.join(root, 'synthetic.json')) as f:
        settings = json.load(f)
    return dict(data_root=root, settings=settings, num_train=settings['num_train'],
                num_val=settings['num_val'], num_classes=len(settings['classes']),
                size=settings['size'], metrics=dict(written=written))


def dataset_check_stage(data_root: str, batch_size: int = 1, **kwargs) -> Stage:
    """The stage that checks a user's dataset before any training."""
    return Stage('data', 'dataset check', 'call', func=check_dataset,
                 kwargs=dict(data_root=data_root, batch_size=batch_size, **kwargs),
                 always=True,
                 summary=lambda m, o: f'{sum(o["num_images"].values())} images, '
                 f'{o["num_classes"]} classes ({o["classes_source"]}), '
                 f'{sum(o["num_masks"].values())} masks')


def check_dataset(stage_dir: str, data_root: str, batch_size: int = 1,
                  digest_files: bool = False, **kwargs) -> dict:
    """:func:`check_image_label_dataset` (its warnings printed), and a digest of the
    files that define the dataset (split files, class list, label file; with
    ``digest_files`` also the name, size and modification time of every image,
    mask and annotation) so later stages rerun when it changes, also when another
    dataset takes its place."""
    import hashlib

    from ..datasets.checks import check_image_label_dataset
    summary = check_image_label_dataset(data_root, batch_size=batch_size, **kwargs)
    for line in summary['warnings']:
        print(f'warning: {data_root}: {line}', flush=True)
    h = hashlib.sha256()
    for rel in ('ImageSets/Segmentation/train.txt', 'ImageSets/Segmentation/val.txt',
                'classes.txt', 'cls_labels.json'):
        path = osp.join(data_root, rel)
        if osp.isfile(path):
            with open(path, 'rb') as f:
                h.update(rel.encode() + f.read())
    folders = ('JPEGImages', 'SegmentationClass', 'Annotations') if digest_files else ()
    for rel in folders:
        folder = osp.join(data_root, rel)
        if osp.isdir(folder):
            with os.scandir(folder) as it:
                for entry in sorted(it, key=lambda e: e.name):
                    try:
                        st = entry.stat()
                        state = f'{st.st_size}:{st.st_mtime_ns}'
                    except OSError:  # a broken link
                        state = 'missing'
                    h.update(f'{rel}/{entry.name}:{state}\n'.encode())
    return dict(data_root=osp.abspath(data_root), digest=h.hexdigest()[:16],
                classes=list(summary['classes']), num_classes=summary['num_classes'],
                classes_source=summary['classes_source'],
                num_images=summary['num_images'], num_masks=summary['num_masks'])


def trains_on_image_labels(cfg: dict) -> bool:
    """Whether a config trains on image-level labels alone (a classifier: its
    train pipeline packs samples with ``PackImageLabelInputs`` or a subclass,
    e.g. ToCo's ``PackToCoInputs``), which learns nothing from an image without
    an object class. A segmentation network or AffinityNet (``PackSegInputs``)
    learns background from such an image."""
    from mmseg.registry import TRANSFORMS

    from ..datasets.transforms.formatting import PackImageLabelInputs

    def packs_image_labels(kind) -> bool:
        cls = TRANSFORMS.get(kind) if isinstance(kind, str) else kind
        return isinstance(cls, type) and issubclass(cls, PackImageLabelInputs)

    loader = cfg.get('train_dataloader')
    return any(packs_image_labels(node.get('type')) for _, node in walk(loader))


#: where the main job writes the embedded world (its ``VOC2012`` folder)
SYNTHETIC_DATA_DIR = 'data/synthetic'
#: the embedded world's generator settings besides its size (``make_synthetic_voc``)
EMBEDDED_WORLD = dict(seed=0, size=64, clutter='low')


def synthetic_chain(root: str, data_dir: str = SYNTHETIC_DATA_DIR, num_train: int = 2000,
                    num_val: int = 300, upper_bound: bool = True,
                    seg_labels: str = 'rw_crf') -> List[Stage]:
    """The main job: the embedded synthetic world and the small ViT chain
    (``upper_bound``, ``seg_labels``: see :func:`semformer_small_chain`)."""
    data_dir = osp.join(root, data_dir)
    voc_root = osp.join(data_dir, 'VOC2012')
    b = ChainBuilder(root, lambda config: dataset_options(b.cfg(config), voc_root))
    data = synthetic_data_stage(data_dir, num_train=num_train, num_val=num_val,
                                **EMBEDDED_WORLD)
    return semformer_small_chain(b, data_stage=data, upper_bound=upper_bound,
                                 seg_labels=seg_labels)


def folder_chain(root: str, data_root: str, num_classes: int,
                 upper_bound: bool = True,
                 eval_batch_size: Optional[int] = None,
                 seg_labels: str = 'rw_crf',
                 labels_from_masks: bool = False,
                 img_suffix: str = '.jpg') -> List[Stage]:
    """The small ViT chain on a user's VOC-layout folder.

    Args:
        root (str): the repository root.
        data_root (str): the folder.
        num_classes (int): K, background included.
        upper_bound (bool): add DeepLabV3+ on the ground-truth masks. Defaults to
            True.
        eval_batch_size (int, optional): batch size of every validation and test
            loader (1 for images of different sizes: the data preprocessor stacks
            a test batch without padding). Defaults to None (the configs').
        seg_labels (str): the pseudo labels DeepLabV3+ trains on (see
            :func:`semformer_small_chain`). Defaults to ``'rw_crf'``.
        labels_from_masks (bool): image-level labels from the masks, for a folder
            with neither XML annotations nor a label file (every dataset of the
            chain, from the ground-truth masks also where a stage trains on pseudo
            labels, and its check). Defaults to False.
        img_suffix (str): the images' file suffix (``'.png'`` for a folder of
            PNG images, see :func:`image_suffix`). Defaults to ``'.jpg'``.

    The check requires a mask for every train and val image (the chain scores the
    maps of both splits) and digests every image, mask and annotation. Images
    whose labels hold no object class are a warning: the CAAE and SemFormer train
    without them, every other stage keeps them as background-only images.
    """
    def options(config: str) -> List[str]:
        cfg = b.cfg(config)
        opts = dataset_options(cfg, data_root, dataset_type='ImageLabelFolderDataset',
                               num_classes=num_classes)
        datasets = [dotted(path) for path, node in walk(cfg)
                    if path and str(path[0]).endswith('_dataloader')
                    and path[-1] == 'dataset' and 'data_root' in node]
        # images without an object class: left out where a classifier trains,
        # background-only samples everywhere else
        classifier = trains_on_image_labels(cfg)
        opts += [f'{d}.empty_images='
                 + ('skip' if classifier and d.startswith('train_dataloader') else 'keep')
                 for d in datasets]
        if labels_from_masks:
            opts += [f'{d}.labels_from_masks=True' for d in datasets]
        if img_suffix != '.jpg':
            opts += [f'{d}.img_suffix={img_suffix}' for d in datasets]
        if eval_batch_size:
            opts += key_options(cfg, 'batch_size', eval_batch_size,
                                under=('val_dataloader', 'test_dataloader'))
        return opts

    b = ChainBuilder(root, options)
    batch = b.cfg(SYNTHETIC['caae'])['train_dataloader']['batch_size']
    check = dataset_check_stage(data_root, batch, labels_from_masks=labels_from_masks,
                                require_masks=True, digest_files=True,
                                img_suffix=img_suffix, allow_empty=True)
    return semformer_small_chain(b, data_stage=check, upper_bound=upper_bound,
                                 seg_labels=seg_labels)


def layout_gpus(config: str) -> Optional[int]:
    """The GPU count in an mmseg config name (``..._8xb8-...`` -> 8), or None."""
    import re
    m = re.search(r'_(\d+)xb\d+', osp.basename(config))
    return int(m.group(1)) if m else None


def with_layouts(stages: List[Stage]) -> List[Stage]:
    """Cap every stage's processes by its config's layout (the VOC configs are
    named for their GPU layout: SemFormer's stage 2 runs on 1 GPU)."""
    for s in stages:
        if s.config and s.gpus is None:
            s.gpus = layout_gpus(s.config)
    return stages


def voc_chain(root: str, data_root: str) -> List[Stage]:
    """The paper's chain on PASCAL VOC 2012 + SBD (the README's commands)."""
    c = VOC
    b = ChainBuilder(root, lambda config: dataset_options(b.cfg(config), data_root))
    data = dataset_check_stage(data_root, seg_dir='SegmentationClassAug',
                               splits=('trainaug', 'val'), check_masks=False)
    return with_layouts([
        data,
        Stage('caae', '1 CAAE (DeiT-B/16 distilled, ImageNet)', 'train', c['caae'],
              options=b.options(c['caae']), summary=cls_summary, after=('data', )),
        Stage('semformer', '2 SemFormer (DeiT-S/16, ImageNet)', 'train', c['semformer'],
              options=b.options(c['semformer'],
                                ['model.caae_checkpoint={caae.checkpoint}']),
              summary=cam_summary('train')),
        Stage('cams', '3 CAMs of train_aug (multi-scale + flip, CRA)', 'test', c['cams'],
              checkpoint='{semformer.checkpoint}', out_dir=True,
              options=b.options(c['cams'], ['model.caae_checkpoint={caae.checkpoint}'])),
        Stage('seeds', '4 confident seeds (CRF, 0.11 / 0.15)', 'test', c['seeds'],
              out_dir=True, options=b.options(c['seeds'], cam_dir='{cams.out_dir}'),
              summary=pseudo_summary),
        Stage('affinity', '4 AffinityNet (ResNet-50, IRN boundaries)', 'train',
              c['affinity'], options=b.options(c['affinity'],
                                               train_labels='{seeds.out_dir}')),
        Stage('rw_crf', '4 random walk + CRF pseudo labels', 'test', c['rw_crf'],
              out_dir=True,
              options=b.options(c['rw_crf'],
                                ['model.refiners.0.checkpoint={affinity.checkpoint}'],
                                cam_dir='{cams.out_dir}'),
              summary=pseudo_summary),
        Stage('seg', '5 DeepLabV3+ (ResNet-101) on the pseudo labels', 'train', c['seg'],
              options=b.options(c['seg'], train_labels='{rw_crf.out_dir}'),
              summary=seg_summary),
    ])


def coco_chain(root: str, data_root: str) -> List[Stage]:
    """COCO 2014 (81 classes): CAAE -> SemFormer at the peers' COCO settings."""
    c = COCO
    b = ChainBuilder(root, lambda config: dataset_options(b.cfg(config), data_root))
    data = dataset_check_stage(
        data_root, img_dir=dict(train='train2014', val='val2014'),
        seg_dir=dict(train='SegmentationClass/train2014', val='SegmentationClass/val2014'),
        xml_dir=None, check_masks=False)
    return with_layouts([
        data,
        Stage('caae', '1 CAAE (DeiT-B/16 distilled, ImageNet)', 'train', c['caae'],
              options=b.options(c['caae']), summary=cls_summary, after=('data', )),
        Stage('semformer', '2 SemFormer (DeiT-S/16, ImageNet)', 'train', c['semformer'],
              options=b.options(c['semformer'],
                                ['model.caae_checkpoint={caae.checkpoint}']),
              summary=cam_summary('val')),
    ])
