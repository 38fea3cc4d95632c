"""ToCo (Ru et al., CVPR 2023) on tiny models: PTC, CTC and the dense-energy loss
against hand computations, the CTC head's EMA teacher, local crops, gradient
routing, a few training steps, prediction, and the configs."""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from conftest import REPO
from semformer.models.segmentors.single_stage_wsss import label_relation
from semformer.models.segmentors.toco import local_crops, roi_mask
from semformer.models.losses.toco_losses import _DenseEnergy, bilateral_filter

K, S = 4, 32
LABELS = [[1, 1, 0, 1], [1, 0, 1, 0]]
PRE = dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, size=(S, S))
VIT = dict(type='MultiClassTokenViT', num_class_tokens=1,
           arch=dict(embed_dims=32, num_layers=3, num_heads=2, feedforward_channels=64),
           img_size=S, patch_size=8, out_type='raw')


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny tensors gain nothing from a second intra-op thread, and on a busy
    2-core machine its waiting makes every op many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_toco(**train_cfg):
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='ToCo', data_preprocessor=PRE, backbone=VIT,
        decode_head=dict(
            type='FCNHead', in_channels=32, in_index=0, channels=16, num_convs=2,
            kernel_size=3, dilation=1, concat_input=False, dropout_ratio=0.0,
            num_classes=K, norm_cfg=None,
            loss_decode=dict(type='BgFgBalancedCrossEntropyLoss', loss_weight=0.1)),
        cls_head=dict(type='GMPCAMHead', in_channels=32, num_classes=K),
        aux_cls_head=dict(type='GMPCAMHead', in_channels=32, num_classes=K),
        ctc_head=dict(type='CTCProjectionHead', in_channels=32, out_channels=16,
                      hidden_channels=32, bottleneck_channels=8),
        loss_reg=dict(type='DenseEnergyLoss', sigma_xy=8.0, loss_weight=0.05),
        par=dict(type='PAR', dilations=(1, 2), iterations=3),
        train_cfg=dict(dict(warmup_iters=-1, local_crop_size=16, num_local_crops=4,
                            cam_scales=(1.0, 0.5)), **train_cfg),
        test_cfg=dict(scales=(1.0, ), with_cams=True, cam_scales=(1.0, 0.5))))
    model.init_weights()
    return model


def batch(labels=LABELS, size=S):
    samples = []
    for y in labels:
        s = SegDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size)))
        s.gt_image_labels = torch.tensor(y, dtype=torch.float32)
        samples.append(s)
    torch.manual_seed(2)
    return torch.randn(len(labels), 3, size, size), samples


# ----------------------------------------------------------------- the losses
def test_patch_token_contrast_loss_by_hand():
    loss = MODELS.build(dict(type='PatchTokenContrastLoss', loss_weight=0.2))
    tokens = torch.tensor([[1.0, 0.0, 1.0], [0.0, 2.0, 1.0]]).reshape(1, 2, 1, 3)
    relation = label_relation(torch.tensor([[[1, 1, 0]]]), ignore_self=True)
    relation[0, 1, 2] = relation[0, 2, 1] = 255
    # positives (0, 1), (1, 0): |cos| 0; negatives (0, 2), (2, 0): |cos| 1 / sqrt(2)
    expected = 0.2 * (0.5 * (1 - 0 / 3) + 0.5 * (2 / math.sqrt(2)) / 3)
    assert loss(tokens, relation).item() == pytest.approx(expected, rel=1e-6)
    assert loss.loss_name == 'loss_ptc'


def ctc_by_hand(student, teacher, flags, temperature):
    """The authors' loop, literally, in float64."""
    total = 0.0
    for b in range(flags.shape[0]):
        logits = [[math.exp(float(t @ s) / temperature) for s in student[b]]
                  for t in teacher[b]]
        neg = [sum(row[j] for j in range(len(row)) if flags[b, j] == 0) for row in logits]
        pos = [j for j in range(flags.shape[1]) if flags[b, j] == 1]
        loss = [0.0] * len(logits)
        for j in pos:
            for t, row in enumerate(logits):
                loss[t] += -math.log(row[j] / (row[j] + neg[t] + 1e-4))
        for t in range(len(logits)):
            loss[t] += -math.log(1 / (1 + neg[t] + 1e-4))
        total += sum(loss) / len(logits) / (len(pos) + 1e-4)
    return total / flags.shape[0]


def test_class_token_contrast_loss_by_hand():
    loss = MODELS.build(dict(type='ClassTokenContrastLoss', temperature=1.0))
    student = torch.tensor([[[1.0], [0.0], [-1.0]]])
    teacher = torch.tensor([[[1.0], [0.0]]])
    flags = torch.tensor([[1, 1, 0]])
    # teacher 1: e = (e, 1, 1/e), N = 1/e; teacher 2: e = (1, 1, 1), N = 1
    n1, n2 = math.exp(-1), 1.0
    expected = (math.log((math.e + n1 + 1e-4) / math.e) + 2 * math.log(1 + n1 + 1e-4)
                + 3 * math.log(2 + 1e-4)) / 2 / (2 + 1e-4)
    assert loss(student, teacher, flags).item() == pytest.approx(expected, rel=1e-5)
    assert expected == pytest.approx(ctc_by_hand(student, teacher, flags, 1.0), rel=1e-9)
    torch.manual_seed(0)
    student, teacher = torch.randn(2, 6, 5), torch.randn(2, 2, 5)
    flags = torch.tensor([[1, 1, 0, 1, 0, 0], [1, 1, 1, 1, 1, 1]])
    loss = MODELS.build(dict(type='ClassTokenContrastLoss', temperature=0.5))
    assert loss(student, teacher, flags).item() == pytest.approx(
        ctc_by_hand(student.double(), teacher.double(), flags, 0.5), rel=1e-5)
    # large dot products: finite where exp() overflows
    assert torch.isfinite(loss(student * 100, teacher * 100, flags))


def test_bilateral_filter_and_dense_energy_by_hand():
    torch.manual_seed(0)
    image = torch.rand(3, 2, 3) * 255
    values = torch.rand(2, 2, 3)
    out = bilateral_filter(values, image, sigma_rgb=15.0, sigma_xy=2.0, chunk_size=4)
    pix = [(y, x) for y in range(2) for x in range(3)]
    for k in range(2):
        for (y, x) in pix:
            expected = sum(
                math.exp(-((y - v)**2 + (x - u)**2) / (2 * 2.0**2)
                         - float(((image[:, y, x] - image[:, v, u])**2).sum())
                         / (2 * 15.0**2))
                * float(values[k, v, u]) for (v, u) in pix)
            assert out[k, y, x].item() == pytest.approx(expected, rel=1e-4)
    # the energy: value -sum(S gate W S) / B, gradient -2 gate W S roi / B (rloss's)
    probs = torch.rand(1, 2, 2, 3, requires_grad=True)
    gate = torch.rand(1, 2, 3)
    roi = torch.tensor([[[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]]])
    energy = _DenseEnergy.apply(probs, image[None], gate, roi, 15.0, 2.0, 4)
    seg = probs.detach() * roi[:, None]
    ws = bilateral_filter(seg[0], image, 15.0, 2.0) * gate
    assert energy.item() == pytest.approx(-(seg[0] * ws).sum().item(), rel=1e-5)
    energy.backward()
    torch.testing.assert_close(probs.grad[0], -2 * ws * roi)


def test_dense_energy_loss_gate_and_scale():
    loss = MODELS.build(dict(type='DenseEnergyLoss', sigma_xy=2.0, scale_factor=1.0,
                             energy_weight=1.0, loss_weight=1.0))
    torch.manual_seed(0)
    image = torch.rand(1, 3, 2, 3) * 255
    logits = torch.randn(1, 2, 2, 3)
    label = torch.tensor([[[0, 255, 1], [1, 0, 255]]])
    probs = logits.softmax(1)
    gate = (1 - probs.max(1)[0]).clamp(min=0)
    gate[label == 255] = 1
    ws = bilateral_filter(probs[0], image[0], 15.0, 2.0) * gate
    assert loss(image, logits, label).item() == pytest.approx(
        -(probs[0] * ws).sum().item(), rel=1e-5)
    # at scale 0.5 only the sampled quarter of the pixels counts
    half = MODELS.build(dict(type='DenseEnergyLoss', loss_weight=0.05))
    value = half(torch.rand(2, 3, 8, 8) * 255, torch.randn(2, 3, 8, 8),
                 torch.zeros(2, 8, 8, dtype=torch.long))
    assert value.item() < 0 and abs(value.item()) < 0.05 * 1e-7 * 16 * 16


# ---------------------------------------------------- heads, crops, relations
def test_ctc_projection_head_teacher_is_an_ema_without_gradients():
    head = MODELS.build(dict(type='CTCProjectionHead', in_channels=6, out_channels=5,
                             hidden_channels=7, bottleneck_channels=3, momentum=0.9))
    x = torch.randn(4, 6)
    torch.testing.assert_close(head(x), head.forward_teacher(x))
    teacher = [p for n, p in head.named_parameters() if n.startswith('teacher')]
    assert teacher and not any(p.requires_grad for p in teacher)
    # unit-norm rows of the last layer: a scaled weight changes nothing
    with torch.no_grad():
        head.last_weight.mul_(3)
    torch.testing.assert_close(head(x), head.forward_teacher(x))
    before = head.teacher_mlp[0].weight.clone()
    with torch.no_grad():
        head.mlp[0].weight.add_(1.0)
    head.update_teacher()
    torch.testing.assert_close(head.teacher_mlp[0].weight,
                               0.9 * before + 0.1 * head.mlp[0].weight)
    head(x).sum().backward()
    assert all(p.grad is None for p in teacher)


def test_roi_mask_and_local_crops_by_hand():
    cams = torch.tensor([[[[0.1, 0.5, 0.8]]]])
    assert roi_mask(cams, high=0.7, low=0.25).tolist() == [[[0, 1, 2]]]
    image = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).view(2, 3, 8, 8)
    roi = torch.full((2, 8, 8), 2, dtype=torch.long)
    roi[0, 2 + 1, 2 + 2] = 0  # the only centre outside the confident foreground
    roi[1] = 0  # all background: every crop negative
    valid = torch.ones(2, 8, 8, dtype=torch.bool)
    crops, flags = local_crops(image, roi, valid, num_crops=1, size=4, neg_ratio=0.2)
    torch.testing.assert_close(crops[0, 0], image[0, :, 1:5, 2:6])
    # image 0: ROI sum (15 x 2 + 0) / 16 > 0.2; image 1: 0 -> negative
    assert flags.tolist() == [[1, 1, 1], [1, 1, 0]]


# -------------------------------------------------------------- the segmentor
def grads(model, loss):
    model.zero_grad(set_to_none=True)
    loss.backward(retain_graph=True)
    return {n: p.grad is not None and p.grad.abs().sum().item() > 0
            for n, p in model.named_parameters()}


def reached(g, prefix):
    return any(v for n, v in g.items() if n.startswith(prefix))


def test_gradients_reach_what_they_must_and_nothing_else():
    model = tiny_toco().train()
    x, samples = batch()
    losses = model.loss(x, samples)
    assert set(losses) == {'loss_cls', 'loss_cls_aux', 'loss_ctc', 'loss_ptc', 'loss_seg',
                           'acc_seg', 'loss_reg'}
    heads = ('cls_head', 'aux_cls_head', 'ctc_head', 'decode_head')

    def only(g, *allowed):
        for h in heads:
            assert reached(g, h) == (h in allowed), h
        assert reached(g, 'backbone')
        for n in ('backbone.pos_embed', 'backbone.class_pos_embed'):
            assert not g[n]  # frozen, as the authors'
        assert not reached(g, 'ctc_head.teacher')

    only(grads(model, losses['loss_cls']), 'cls_head')
    g = grads(model, losses['loss_cls_aux'])
    only(g, 'aux_cls_head')
    # aux_layer -3 of 3 blocks is block 0: later blocks and the final norm get nothing
    assert reached(g, 'backbone.layers.0') and not reached(g, 'backbone.layers.1')
    assert not reached(g, 'backbone.layers.2') and not reached(g, 'backbone.ln1')
    only(grads(model, losses['loss_ptc']))
    only(grads(model, losses['loss_ctc']), 'ctc_head')
    only(grads(model, losses['loss_seg']), 'decode_head')
    only(grads(model, losses['loss_reg']), 'decode_head')


def test_segmentation_losses_are_off_in_the_warm_up():
    model = tiny_toco(warmup_iters=10**9).train()
    x, samples = batch()
    losses = model.loss(x, samples)
    assert losses['loss_seg'].item() == 0 and losses['loss_reg'].item() == 0
    assert losses['loss_ptc'].item() > 0
    g = grads(model, sum(v for k, v in losses.items() if k.startswith('loss')))
    assert not reached(g, 'decode_head')


def test_a_few_steps_lower_the_losses():
    model = tiny_toco().train()
    x, samples = batch()
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=3e-3)
    history = []
    for _ in range(8):
        torch.manual_seed(len(history))  # the same views in every run
        losses = model.loss(x, samples)
        history.append({k: v.item() for k, v in losses.items()})
        optim.zero_grad()
        sum(v for k, v in losses.items() if k.startswith('loss')).backward()
        optim.step()
    first, last = history[0], history[-1]
    total = lambda h: sum(v for k, v in h.items() if k.startswith('loss'))  # noqa: E731
    assert total(last) < 0.8 * total(first)
    assert last['loss_cls'] < first['loss_cls'] and last['loss_ptc'] < first['loss_ptc']


def test_predict_segmentation_and_cams():
    model = tiny_toco().eval()
    x, samples = batch()
    with torch.no_grad():
        out = model.predict(x, samples)
    for sample, y in zip(out, LABELS):
        assert sample.pred_sem_seg.data.shape == (1, S, S)
        cams = sample.pred_cams.data
        assert cams.shape == (K, S, S) and torch.all(cams[0] == 0)
        for c in range(1, K):
            assert (cams[c].max() > 0.99) if y[c] else torch.all(cams[c] == 0)


def test_rejects_a_backbone_without_one_class_token():
    with pytest.raises(ValueError, match='num_class_tokens=1'):
        MODELS.build(dict(
            type='ToCo', backbone=dict(VIT, num_class_tokens=0),
            decode_head=dict(type='FCNHead', in_channels=32, channels=8, num_classes=K,
                             num_convs=1),
            cls_head=dict(type='GMPCAMHead', in_channels=32, num_classes=K),
            aux_cls_head=dict(type='GMPCAMHead', in_channels=32, num_classes=K),
            ctc_head=dict(type='CTCProjectionHead', in_channels=32)))


# ------------------------------------------------------------------- configs
def test_voc_config_builds_with_the_papers_settings(voc_root):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'toco',
                                   'toco_vit-b_2xb2-20k_voc12aug-448x448.py'))
    m = cfg.model
    assert (m.loss_ptc.loss_weight, m.loss_ctc.loss_weight, m.loss_reg.loss_weight,
            m.decode_head.loss_decode.loss_weight) == (0.2, 0.5, 0.05, 0.1)
    assert m.loss_ctc.temperature == 0.5 and m.ctc_head.momentum == 0.9
    assert cfg.train_dataloader.batch_size == 2 and cfg.train_cfg.max_iters == 20000
    m.backbone.init_cfg = None
    m.backbone.arch = dict(embed_dims=32, num_layers=12, num_heads=2,
                           feedforward_channels=64)
    for head in ('cls_head', 'aux_cls_head', 'ctc_head'):
        m[head].in_channels = 32
    m.decode_head.in_channels = 32
    model = MODELS.build(m)
    assert model.aux_layer == 9  # block 10 of 12
    assert model.train_cfg['high_thre'] == 0.7 and model.train_cfg['low_thre'] == 0.25
    # the training pipeline (mmpretrain's photometric transforms) runs on VOC images
    from mmengine.dataset import Compose
    pipeline = Compose(cfg.train_pipeline)
    img = osp.join(voc_root, 'JPEGImages', '2007_000032.jpg')
    out = pipeline(dict(img_path=img, gt_image_labels=torch.zeros(21).numpy(),
                        seg_fields=[], reduce_zero_label=False))
    assert out['inputs'].shape[0] == 3 and max(out['inputs'].shape[1:]) <= 448


def test_synthetic_config_builds_and_trains():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'toco', 'toco_vit_synthetic-64x64.py'))
    m = cfg.model
    m.backbone.init_cfg = None
    m.backbone.arch = dict(embed_dims=32, num_layers=6, num_heads=2,
                           feedforward_channels=64)
    for head in ('cls_head', 'aux_cls_head', 'ctc_head'):
        m[head].in_channels = 32
    m.decode_head.in_channels = 32
    m.par = dict(type='PAR', dilations=(1, 2), iterations=3)
    model = MODELS.build(m)
    model.init_weights()
    model.train_cfg.update(warmup_iters=-1)
    x, samples = batch([[1, 1, 0, 0, 0, 0, 0], [1, 0, 0, 1, 1, 0, 0]], size=64)
    losses = model.loss(x, samples)
    assert all(torch.isfinite(v) for v in losses.values())
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()


def train_briefly(cfg, work_dir, data_root):
    """Two training iterations and a validation through mmengine's Runner on the
    tiny synthetic set (48 px images: crops are padded, so the valid masks count)."""
    from mmengine.runner import Runner
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.update(max_iters=2, val_interval=2)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1, save_last=False)
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        loader.update(num_workers=0, persistent_workers=False, batch_size=2)
        loader.dataset.data_root = data_root
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.message_hub.get_scalar('train/loss').current(), runner


def test_synthetic_config_runs_in_the_runner(tmp_path, synthetic_root):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'toco', 'toco_vit_synthetic-64x64.py'))
    m = cfg.model
    m.backbone.init_cfg = None
    m.backbone.arch = dict(embed_dims=32, num_layers=3, num_heads=2,
                           feedforward_channels=64)
    for head in ('cls_head', 'aux_cls_head', 'ctc_head'):
        m[head].in_channels = 32
    m.decode_head.in_channels = 32
    m.par = dict(type='PAR', dilations=(1, 2), iterations=3)
    m.train_cfg.update(warmup_iters=0)  # iteration 1 trains the segmentation head
    m.test_cfg.update(scales=(1.0, ), cam_scales=(1.0, ))
    loss, runner = train_briefly(cfg, tmp_path, synthetic_root)
    assert math.isfinite(loss)
    metrics = runner.val_loop.run()
    assert 'mIoU' in metrics and 'cam/mIoU' in metrics


def test_timm_vit_converter_loads_into_the_backbone(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'timm_vit_to_mmpretrain',
        osp.join(REPO, 'tools', 'model_converters', 'timm_vit_to_mmpretrain.py'))
    converter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(converter)
    C, F_, P = 8, 16, 16
    torch.manual_seed(0)
    timm = {'cls_token': torch.randn(1, 1, C), 'pos_embed': torch.randn(1, 1 + 4, C),
            'patch_embed.proj.weight': torch.randn(C, 3, P, P),
            'patch_embed.proj.bias': torch.randn(C), 'norm.weight': torch.randn(C),
            'norm.bias': torch.randn(C), 'head.weight': torch.randn(5, C),
            'head.bias': torch.randn(5)}
    for name, shape in (('norm1', (C, )), ('norm2', (C, )), ('attn.qkv', (3 * C, C)),
                        ('attn.proj', (C, C)), ('mlp.fc1', (F_, C)), ('mlp.fc2', (C, F_))):
        timm[f'blocks.0.{name}.weight'] = torch.randn(shape)
        timm[f'blocks.0.{name}.bias'] = torch.randn(shape[0])
    path = str(tmp_path / 'vit.pth')
    torch.save(dict(state_dict=converter.convert(timm)), path)
    vit = MODELS.build(dict(
        type='MultiClassTokenViT', num_class_tokens=1,
        arch=dict(embed_dims=C, num_layers=1, num_heads=2, feedforward_channels=F_),
        img_size=32, patch_size=P, out_type='raw',
        init_cfg=dict(type='Pretrained', checkpoint=path, prefix='backbone.')))
    vit.init_weights()
    torch.testing.assert_close(vit.class_tokens.data, timm['cls_token'])
    torch.testing.assert_close(vit.class_pos_embed.data, timm['pos_embed'][:, :1])
    torch.testing.assert_close(vit.layers[0].attn.qkv.weight.data,
                               timm['blocks.0.attn.qkv.weight'])
    torch.testing.assert_close(vit.layers[0].ffn.layers[1].weight.data,
                               timm['blocks.0.mlp.fc2.weight'])
    torch.testing.assert_close(vit.ln1.weight.data, timm['norm.weight'])
