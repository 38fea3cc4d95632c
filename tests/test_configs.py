import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmseg.registry import DATASETS

from conftest import REPO

CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True))


def test_there_are_configs():
    assert any(c.endswith('voc12_image_labels.py') for c in CONFIGS)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config_loads_and_imports_semformer(path):
    cfg = Config.fromfile(path)
    if '_base_' not in path:  # runnable configs must register our components
        assert 'semformer' in cfg.custom_imports['imports']


@pytest.mark.parametrize('name', ['voc12_image_labels', 'synthetic_shapes'])
def test_dataset_configs_build(name, voc_root, synthetic_root):
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets', name + '.py'))
    root = voc_root if name.startswith('voc') else synthetic_root
    train = dict(cfg.train_dataloader.dataset, data_root=root)
    val = dict(cfg.val_dataloader.dataset, data_root=root)
    train_ds, val_ds = DATASETS.build(train), DATASETS.build(val)
    assert len(train_ds) == (3 if name.startswith('voc') else 24)
    sample = val_ds[0]['data_samples']
    assert sample.gt_image_labels.shape == (len(train_ds.metainfo['classes']), )
    assert 'gt_sem_seg' in sample
    out = train_ds[0]
    crop = cfg.crop_size
    assert out['inputs'].shape[1] <= crop[0] and out['inputs'].shape[2] <= crop[1]


@pytest.mark.parametrize('config', [
    'cam/cam_vit-t8_1xb16-500_synthetic-64x64.py',
    'deeplabv3plus/deeplabv3plus_vit-t8_1xb16-2k_synthetic-pseudo-label-64x64.py'])
def test_synthetic_configs_test_at_64_px_and_predict_at_the_image_size(config,
                                                                     synthetic_root):
    """The small chain's models see a 48 px image at the training scale (64 px) and
    return their maps at 48 px, scored against the 48 px masks."""
    import torch
    from mmengine.dataset import pseudo_collate
    from mmseg.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, 'configs', config))
    ds = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=synthetic_root))
    batch = pseudo_collate([ds[0], ds[1]])
    assert [tuple(x.shape) for x in batch['inputs']] == [(3, 64, 64)] * 2
    assert all(s.gt_sem_seg.shape == (48, 48) and s.ori_shape == (48, 48)
               for s in batch['data_samples'])
    model = MODELS.build(cfg.model).eval()  # random weights: shapes only
    with torch.no_grad():
        out = model.test_step(batch)
    for sample in out:
        assert sample.pred_sem_seg.shape == (48, 48)
        if 'pred_cams' in sample:
            assert sample.pred_cams.shape == (48, 48)


def test_voc_pseudo_label_configs_are_the_authors():
    """Seeds at 0.11 / 0.15 keeping the foreground; the boundary random walk (beta
    10, 2^8 steps, radius 5), background 0.25, one CRF iteration."""
    seeds = Config.fromfile(osp.join(REPO, 'configs/pseudo_label/seeds-crf_semformer_voc12aug.py'))
    assert (seeds.model.bg_threshold, seeds.model.confident_bg_threshold,
            seeds.model.combine) == (0.11, 0.15, 'foreground')
    rw = Config.fromfile(osp.join(REPO, 'configs/pseudo_label/rw-crf_affinitynet-r50_voc12aug.py'))
    walk, crf = rw.model.refiners
    assert walk.type == 'BoundaryRandomWalk'
    assert (walk.beta, walk.exp_times, walk.radius) == (10.0, 8, 5)
    assert walk.affinity_net.type == 'BoundaryAffinityNet' and walk.affinity_net.radius == 10
    assert rw.model.bg_threshold == 0.25 and crf.iterations == 1
    aff = Config.fromfile(osp.join(REPO, 'configs/affinitynet/affinitynet_r50_4xb8-1k_voc12aug-512x512.py'))
    assert aff.train_dataloader.batch_size * 4 == 32 and aff.max_iters == 990
    assert (aff.optim_wrapper.optimizer.lr, aff.optim_wrapper.optimizer.weight_decay) == (0.1, 1e-4)


def test_voc_caae_crops_lie_inside_the_image(voc_root):
    """The authors' CAAE augmentation: every 224 crop is cut from the (upscaled)
    image, so no zero padding enters the class embeddings."""
    import numpy as np
    from mmengine.dataset import Compose
    from PIL import Image
    cfg = Config.fromfile(osp.join(REPO, 'configs/semformer/caae_deit-b-d_8xb8-33k_voc12aug-224x224.py'))
    assert [t['type'] for t in cfg.train_pipeline][1:5] == [
        'TorchvisionColorJitter', 'RandomRescale', 'mmpretrain.RandomResizedCrop', 'RandomFlip']
    path = osp.join(voc_root, 'JPEGImages', 'flat.png')
    Image.fromarray(np.full((30, 40, 3), 200, np.uint8)).save(path)
    pipeline = Compose(cfg.train_pipeline)
    for _ in range(20):
        out = pipeline(dict(img_path=path, gt_image_labels=np.zeros(21, np.float32)))
        assert out['inputs'].shape == (3, 224, 224)
        assert out['inputs'].min() > 0  # colour jitter moves 200, never to 0


def test_colour_jitter_keeps_the_image_and_handles_negative_hue():
    """TorchvisionColorJitter: BGR in, BGR out, uint8; hue shifts of both signs
    (mmcv's adjust_hue overflows for negative ones under numpy 2)."""
    import numpy as np
    import torch
    from mmseg.registry import TRANSFORMS
    img = np.zeros((8, 8, 3), np.uint8)
    img[..., 2] = 200  # red in BGR
    same = TRANSFORMS.build(dict(type='TorchvisionColorJitter', brightness=0, contrast=0,
                                 saturation=0, hue=0))
    assert np.array_equal(same.transform(dict(img=img.copy()))['img'], img)
    jitter = TRANSFORMS.build(dict(type='TorchvisionColorJitter', hue=0.1))
    torch.manual_seed(0)
    for _ in range(20):
        out = jitter.transform(dict(img=img.copy()))['img']
        assert out.dtype == np.uint8 and out.shape == img.shape
        assert out[..., 2].mean() > out[..., 0].mean()  # still reddish


@pytest.mark.parametrize('path', ['afa/afa_mit-b1_2xb2-20k_voc12aug-512x512.py',
                                  'toco/toco_vit-b_2xb2-20k_voc12aug-448x448.py'])
def test_single_stage_voc_configs_seed_each_process_differently(path):
    cfg = Config.fromfile(osp.join(REPO, 'configs', path))
    assert cfg.randomness.diff_rank_seed is True


def _build_with_shipped_backbone(model_cfg):
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    checkpoint = osp.join(REPO, model_cfg.backbone.init_cfg.checkpoint)
    model = MODELS.build(dict(model_cfg, backbone=dict(
        model_cfg.backbone, init_cfg=dict(model_cfg.backbone.init_cfg, checkpoint=checkpoint))))
    MMLogger.get_current_instance().setLevel('ERROR')
    model.init_weights()
    return model, checkpoint


def test_synthetic_affinitynets_start_from_the_shared_backbone():
    """Both synthetic AffinityNets take the pretrained ViT's stem stride-4 map and
    blocks 3 and 6: the authors' boundary network (the main chain's) keeps it
    frozen through a training step, PSA's trains it at 0.1 x lr; each walk builds
    the network its AffinityNet config trains."""
    import torch
    from mmengine.optim import build_optim_wrapper
    from semformer.apis.chains import SYNTHETIC
    irn = Config.fromfile(osp.join(REPO, SYNTHETIC['affinity']))
    psa = Config.fromfile(osp.join(
        REPO, 'configs/affinitynet/affinitynet-psa_vit-t8_1xb16-600_synthetic-64x64.py'))
    x = torch.randn(2, 3, 64, 64)
    for cfg in (irn, psa):
        model, checkpoint = _build_with_shipped_backbone(cfg.model)
        state = torch.load(checkpoint, map_location='cpu')['state_dict']
        for key in ('layers.5.attn.qkv.weight', 'patch_embed.projection.layers.3.weight'):
            assert torch.equal(model.backbone.state_dict()[key], state['backbone.' + key])
        model.eval()
        with torch.no_grad():
            feats = model.backbone(x[:1])
            stride4 = model.backbone.patch_embed.projection.layers[:12](x[:1])  # after ReLU
        assert [tuple(f.shape) for f in feats] == [(1, 64, 16, 16), (1, 128, 8, 8),
                                                   (1, 128, 8, 8)]
        torch.testing.assert_close(feats[0], stride4)
    # the boundary network: a 16 x 16 boundary map; a step of its optimizer moves
    # the edge branch and leaves the backbone as loaded (and in eval mode)
    model, _ = _build_with_shipped_backbone(irn.model)
    assert type(model).__name__ == 'BoundaryAffinityNet'
    assert model.edge(x).shape == (2, 16, 16)
    model.train()
    assert not model.backbone.training
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optim = build_optim_wrapper(model, irn.optim_wrapper)
    optim.update_params(model.edge_logits(x).sigmoid().mean())
    after = model.state_dict()
    moved = {k for k in before if not torch.equal(before[k], after[k])}
    assert moved and all(not k.startswith('backbone.') for k in moved)
    assert 'edge_out.weight' in moved
    # PSA's: 16 x 16 features, the backbone at 0.1 x lr
    model, _ = _build_with_shipped_backbone(psa.model)
    assert model.features(x).shape == (2, 64, 16, 16)
    assert psa.optim_wrapper.paramwise_cfg.custom_keys['backbone'].lr_mult == 0.1
    for walk, net, kind in ((SYNTHETIC['rw'], irn, 'BoundaryRandomWalk'),
                            (SYNTHETIC['rw_crf'], irn, 'BoundaryRandomWalk'),
                            ('configs/pseudo_label/rw_affinitynet-psa-vit-t8_synthetic.py',
                             psa, 'RandomWalk'),
                            ('configs/pseudo_label/rw-crf_affinitynet-psa-vit-t8_synthetic.py',
                             psa, 'RandomWalk')):
        rw = Config.fromfile(osp.join(REPO, walk))
        assert rw.model.refiners[0].type == kind, walk
        assert rw.model.refiners[0].affinity_net == net.model, walk
        assert [r.type for r in rw.model.refiners[1:]] == (['DenseCRF'] if 'crf' in walk
                                                           else []), walk
    rw = Config.fromfile(osp.join(REPO, SYNTHETIC['rw_crf'])).model
    # the authors' beta and background score; radius and steps scaled to the grid
    assert (rw.refiners[0].beta, rw.refiners[0].exp_times, rw.refiners[0].radius,
            rw.bg_threshold) == (10.0, 4, 2, 0.25)
    # the chain takes the random walk's labels from the random walk + CRF run, before
    # its CRF: the walk config must label as that run's first refiner does
    walk = Config.fromfile(osp.join(REPO, SYNTHETIC['rw'])).model
    assert walk.refiners == rw.refiners[:1]
    assert {k: v for k, v in walk.items() if k != 'refiners'} == \
        {k: v for k, v in rw.items() if k != 'refiners'}


def test_synthetic_deeplabv3plus_takes_the_stems_stride2_map():
    """DeepLabV3+ on the shared ViT: its low-level input is the conv stem's stride-2
    map (32 channels, 32 x 32 on 64 x 64 images, after the ReLU), its ASPP input the
    last block's tokens (128 channels, 8 x 8)."""
    import torch
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    cfg = Config.fromfile(osp.join(
        REPO, 'configs/deeplabv3plus/deeplabv3plus_vit-t8_1xb16-2k_synthetic-pseudo-label-64x64.py'))
    init_default_scope('mmseg')
    backbone = MODELS.build(dict(cfg.model.backbone, init_cfg=None))
    backbone.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        feats = backbone(x)
        stride2 = backbone.patch_embed.projection.layers[:6](x)
    assert [tuple(f.shape) for f in feats] == [(1, 32, 32, 32), (1, 128, 8, 8)]
    torch.testing.assert_close(feats[0], stride2)
    assert cfg.model.decode_head.c1_in_channels == 32
    assert cfg.model.decode_head.in_index == 1


SEGMENTOR_CONFIGS = [c for c in CONFIGS if 'synthetic' in osp.basename(c) and any(
    f'/configs/{d}/' in c for d in ('afa', 'cam', 'mctformer', 'semformer', 'toco'))
    and 'caae' not in osp.basename(c)]


@pytest.mark.parametrize('path', SEGMENTOR_CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_segmentors_run_through_mmseg_init_model_and_inference_model(path):
    """mmseg.apis.init_model sets ``model.pretrained = None`` and ``train_cfg = None``
    before building; every segmentor builds there and segments an image."""
    import numpy as np
    from mmseg.apis import inference_model, init_model
    model = init_model(path, None, device='cpu')
    image = np.random.RandomState(0).randint(0, 256, (64, 64, 3), dtype=np.uint8)
    result = inference_model(model, image)
    pred = result.pred_sem_seg.data
    assert tuple(pred.shape) == (1, 64, 64)
    assert 0 <= int(pred.min()) and int(pred.max()) < 7


def test_a_pretrained_checkpoint_is_refused_with_the_way_to_load_it():
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, 'configs/toco/toco_vit-t8_1xb16-500_synthetic-64x64.py'))
    init_default_scope('mmseg')
    with pytest.raises(ValueError, match=r'ToCo does not take `pretrained`.*init_cfg'):
        MODELS.build(dict(cfg.model, pretrained='x.pth'))
