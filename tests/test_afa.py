"""AFA (Ru et al., CVPR 2022) on tiny models: its losses against hand computations,
the attention logits, affinity head and random walk by hand, gradient routing, a
few training steps, prediction, and the configs."""
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from conftest import REPO, lr_curve, seg_loss_history
from semformer.models.segmentors.afa import attention_logits
from semformer.models.segmentors.single_stage_wsss import (cams_to_label, label_relation,
                                                           radius_mask)

K, S = 4, 32  # classes (background included), image side
SYNTHETIC = 'afa_vit-t8_1xb16-500_synthetic-64x64.py'
LABELS = [[1, 1, 0, 1], [1, 0, 1, 0]]
PRE = dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, size=(S, S))
MIT = dict(type='MixVisionTransformer', embed_dims=16, num_layers=[1, 1, 1, 2],
           num_heads=[1, 1, 2, 2], strides=[2, 2, 2, 1], sr_ratios=[4, 2, 1, 1],
           out_indices=(0, 1, 2, 3))
VIT = dict(type='MultiClassTokenViT', num_class_tokens=0,
           arch=dict(embed_dims=32, num_layers=3, num_heads=2, feedforward_channels=64),
           img_size=S, patch_size=8, out_type='featmap', out_indices=(2, ))


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny tensors gain nothing from a second intra-op thread, and on a busy
    2-core machine its waiting makes every op many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_afa(backbone='mit', **train_cfg):
    mit = backbone == 'mit'
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='AFA', data_preprocessor=PRE, backbone=MIT if mit else VIT,
        decode_head=dict(
            type='SegformerHead', in_channels=[16, 16, 32, 32] if mit else [32],
            in_index=[0, 1, 2, 3] if mit else [0], channels=16, dropout_ratio=0.0,
            num_classes=K, norm_cfg=dict(type='BN'),
            loss_decode=dict(type='BgFgBalancedCrossEntropyLoss', loss_weight=0.1)),
        cls_head=dict(type='GMPCAMHead', in_channels=32, num_classes=K),
        aff_head=dict(type='AffinityFromAttentionHead', in_channels=4,
                      loss_aff=dict(type='AffinityLoss', loss_weight=0.1)),
        par=dict(type='PAR', dilations=(1, 2), iterations=3),
        train_cfg=dict(dict(warmup_iters=-1, aff_label_iter=-1, radius=2,
                            cam_scales=(1.0, 0.5)),
                       **train_cfg),
        test_cfg=dict(scales=(1.0, 0.5), with_cams=True, cam_scales=(1.0, 0.5))))
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
def test_multilabel_soft_margin_loss_by_hand():
    loss = MODELS.build(dict(type='MultiLabelSoftMarginLoss', loss_weight=2.0))
    value = loss(torch.tensor([[2.0, -1.0]]), torch.tensor([[1.0, 0.0]]))
    # -log sigmoid(2) = log(1 + e^-2); -log(1 - sigmoid(-1)) = log(1 + e^-1)
    expected = 2.0 * (math.log(1 + math.exp(-2)) + math.log(1 + math.exp(-1))) / 2
    assert loss.loss_name == 'loss_cls'
    assert value.item() == pytest.approx(expected, rel=1e-6)


def test_affinity_loss_by_hand():
    loss = MODELS.build(dict(type='AffinityLoss', loss_weight=0.1))
    pred = torch.tensor([[[0.9, 0.2], [0.2, 0.6]]])
    label = torch.tensor([[[1, 0], [0, 255]]])
    # one positive pair: (1 - 0.9) / (1 + 1); two negatives: (0.2 + 0.2) / (2 + 1)
    expected = 0.1 * 0.5 * (0.1 / 2 + 0.4 / 3)
    assert loss(pred, label).item() == pytest.approx(expected, rel=1e-6)
    assert loss.loss_name == 'loss_aff'
    # nothing labelled: 0, not NaN
    assert loss(pred, torch.full_like(label, 255)).item() == 0


def test_bg_fg_balanced_cross_entropy_by_hand():
    loss = MODELS.build(dict(type='BgFgBalancedCrossEntropyLoss', loss_weight=1.0))
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0], [3.0, 0.0]]).t()
    logits = logits.reshape(1, 2, 1, 4)
    label = torch.tensor([[[0, 1, 255, 0]]])
    ce_bg = (math.log(1 + math.exp(-2)) + math.log(1 + math.exp(-3))) / 2  # 2 bg pixels
    ce_fg = math.log(1 + math.exp(-1))  # 1 fg pixel; the ignored pixel left out
    assert loss(logits, label).item() == pytest.approx(0.5 * (ce_bg + ce_fg), rel=1e-6)
    # a crop without foreground: half the background term, not NaN
    only_bg = torch.tensor([[[0, 255, 255, 0]]])
    assert loss(logits, only_bg).item() == pytest.approx(0.5 * ce_bg, rel=1e-6)


# ---------------------------------------------------- labels, affinity, walk
def test_cams_to_label_and_relations_by_hand():
    cams = torch.tensor([[[[0.8, 0.3, 0.2, 0.9]], [[0.1, 0.5, 0.1, 0.0]]]])
    valid = torch.tensor([[[True, True, True, False]]])
    label = cams_to_label(cams, valid, high=0.55, low=0.35)
    assert label.tolist() == [[[1, 255, 0, 255]]]
    rel = label_relation(torch.tensor([[[1, 1], [0, 255]]]), mask=radius_mask(2, 2, 0))
    # radius 0 keeps only the self pairs; pairs with the ignored pixel are ignored
    assert rel[0].tolist() == [[1, 255, 255, 255], [255, 1, 255, 255],
                               [255, 255, 1, 255], [255, 255, 255, 255]]
    assert radius_mask(1, 4, 1).long().tolist() == [[1, 1, 0, 0], [1, 1, 1, 0],
                                                   [0, 1, 1, 1], [0, 0, 1, 1]]


def test_random_walk_propagation_by_hand():
    model = tiny_afa(radius=8)
    cams = torch.tensor([[[[0.8, 0.2]]]])  # one foreground class, grid 1 x 2
    aff = torch.tensor([[[0.9, 0.3], [0.3, 0.7]]])
    out = model.propagate(cams, aff, torch.tensor([[1.0, 1.0]]), bkg_score=0.5)
    A = [[0.9, 0.3], [0.3, 0.7]]
    scores = []
    for fg in (0.8, 0.2):  # softmax over (background 0.5, foreground) per pixel
        e0, e1 = math.exp(0.5), math.exp(fg)
        scores.append((e0 / (e0 + e1), e1 / (e0 + e1)))
    for c in range(2):
        for j in range(2):
            col = sum(A[i][j]**2 for i in range(2)) + 0.1
            expected = sum(scores[i][c] * A[i][j]**2 / col for i in range(2))
            assert out[0, c, 0, j].item() == pytest.approx(expected, rel=1e-5)
    # absent classes stay 0
    out = model.propagate(torch.rand(1, 2, 1, 2), aff, torch.tensor([[1.0, 0.0, 1.0]]), 0.5)
    assert torch.all(out[0, 1] == 0)


def test_affinity_head_by_hand():
    head = MODELS.build(dict(type='AffinityFromAttentionHead', in_channels=2))
    a0, a1 = torch.randn(1, 1, 3, 3), torch.randn(1, 1, 3, 3)
    out = head([a0, a1])
    w, b = head.attn_proj.weight.flatten(), head.attn_proj.bias
    expected = torch.sigmoid(w[0] * (a0 + a0.transpose(-1, -2))
                             + w[1] * (a1 + a1.transpose(-1, -2)) + b)[:, 0]
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(out, out.transpose(-1, -2))  # symmetric
    with pytest.raises(ValueError, match='expects 2 attention channels'):
        head([a0])


def test_attention_logits_match_the_attention_modules():
    model = tiny_afa().eval()
    x, _ = batch()
    # MiT: softmax(logits / sqrt(d)) averaged over heads = nn.MultiheadAttention's weights
    mit = model.backbone
    h, hw = x, None
    for layer in mit.layers[:3]:
        h, hw = layer[0](h)
        for block in layer[1]:
            h = block(h, hw)
        h = layer[2](h).transpose(1, 2).reshape(2, -1, *hw)
    h, hw = mit.layers[3][0](h)
    block = mit.layers[3][1][0]
    normed = block.norm1(h)
    logits = attention_logits(block.attn, normed)
    mha = block.attn.attn
    _, weights = mha(normed.transpose(0, 1), normed.transpose(0, 1), normed.transpose(0, 1),
                     need_weights=True)
    d = mha.embed_dim // mha.num_heads
    torch.testing.assert_close((logits * d**-0.5).softmax(-1).mean(1), weights)
    # mmpretrain ViT: the same against its explicit qkv
    vit = tiny_afa('vit').backbone
    tokens, _ = vit.embed(x)
    layer = vit.layers[0]
    n = layer.ln1(tokens)
    q, k, _ = layer.attn.qkv(n).view(2, n.shape[1], 3, 2, -1).permute(2, 0, 3, 1, 4)
    torch.testing.assert_close(attention_logits(layer.attn, n), q @ k.transpose(-1, -2))


# -------------------------------------------------------------- the segmentor
def grads(model, loss):
    model.zero_grad(set_to_none=True)
    loss.backward(retain_graph=True)
    return {n: p.grad is not None and p.grad.abs().sum().item() > 0
            for n, p in model.named_parameters()}


def reached(g, prefix):
    return any(v for n, v in g.items() if n.startswith(prefix))


@pytest.mark.parametrize('backbone', ['mit', 'vit'])
def test_gradients_reach_what_they_must_and_nothing_else(backbone):
    model = tiny_afa(backbone).train()
    x, samples = batch()
    losses = model.loss(x, samples)
    assert set(losses) == {'loss_cls', 'loss_aff', 'loss_seg', 'acc_seg'}
    g = grads(model, losses['loss_cls'])
    assert reached(g, 'cls_head') and reached(g, 'backbone')
    assert not reached(g, 'decode_head') and not reached(g, 'aff_head')
    g = grads(model, losses['loss_aff'])
    assert reached(g, 'aff_head') and reached(g, 'backbone')
    assert not reached(g, 'decode_head') and not reached(g, 'cls_head')
    # the affinity reads the last 2 blocks' attention: their FFN after it and the
    # final norm get nothing
    last = 'backbone.layers.3.1.1.ffn' if backbone == 'mit' else 'backbone.layers.2.ffn'
    assert not reached(g, last)
    assert not reached(g, 'backbone.layers.3.2' if backbone == 'mit' else 'backbone.ln1')
    g = grads(model, losses['loss_seg'])
    assert reached(g, 'decode_head') and reached(g, 'backbone')
    assert not reached(g, 'cls_head') and not reached(g, 'aff_head')


def test_segmentation_and_affinity_losses_are_off_in_the_warm_up():
    model = tiny_afa(warmup_iters=10**9, aff_label_iter=10**9).train()
    x, samples = batch()
    losses = model.loss(x, samples)
    assert losses['loss_seg'].item() == 0 and losses['loss_aff'].item() == 0
    assert losses['loss_cls'].item() > 0
    g = grads(model, sum(v for k, v in losses.items() if k.startswith('loss')))
    assert not reached(g, 'decode_head') and not reached(g, 'aff_head')


def test_affinity_propagated_labels_are_valid_pseudo_labels():
    model = tiny_afa().train()
    x, samples = batch()
    samples[1].set_metainfo(dict(img_shape=(24, 20)))  # padded image
    with torch.no_grad():
        images = model.rgb_images(x)
        cams, extra = model.multi_scale_cams(x, (1.0, 0.5, 1.5), with_extra=True)
        labels = torch.tensor(LABELS, dtype=torch.float32)
        from semformer.models.segmentors.single_stage_wsss import valid_masks
        valid = valid_masks(samples, (S, S), x.device)
        grid = tuple(extra['cam'].shape[-2:])
        assert extra['aff'].shape == (4, grid[0] * grid[1], grid[0] * grid[1])
        label = model.affinity_pseudo_labels(images, cams['cam'], extra['aff'][:2], grid,
                                             labels, valid)
    assert label.shape == (2, S, S)
    assert torch.all(label[1, 24:] == 255) and torch.all(label[1, :, 20:] == 255)
    for b, y in enumerate(LABELS):
        present = {c for c in range(K) if y[c]} | {255}
        assert set(label[b].unique().tolist()) <= present
        assert (label[b][valid[b].bool()] != 255).any()  # not all ignored


@pytest.mark.parametrize('source', ['cam', 'seg'])
def test_affinity_labels_come_from_the_configured_labels(source, monkeypatch):
    """After ``aff_label_iter`` the head learns the propagated labels; the affinity
    labels are the relations of the PAR-refined CAM labels (``'cam'``, the
    authors' VOC script) or of those propagated labels (``'seg'``, their COCO
    script), on the attention grid (nearest) within the radius."""
    from semformer.models.segmentors import afa as afa_module
    model = tiny_afa(aff_label_source=source).train()
    seen = {}

    def par_labels(*args, **kwargs):
        seen['par'] = real_par(*args, **kwargs)
        return seen['par']

    def propagated(*args, **kwargs):
        seen['seg'] = real_walk(*args, **kwargs)
        # the propagated labels differ from PAR's: one class on the left half
        seen['seg'][:, :, :S // 2] = 0
        return seen['seg']

    def aff_loss(pred, label):
        seen['aff'] = label
        return real_loss(pred, label)

    real_par, real_walk, real_loss = (afa_module.par_pseudo_labels,
                                      model.affinity_pseudo_labels, model.aff_head.loss)
    monkeypatch.setattr(afa_module, 'par_pseudo_labels', par_labels)
    monkeypatch.setattr(model, 'affinity_pseudo_labels', propagated)
    monkeypatch.setattr(model.aff_head, 'loss', aff_loss)
    x, samples = batch()
    model.loss(x, samples)
    grid = (S // 8, S // 8)  # the tiny MiT's last stage: stride 8
    expected = {}
    for name in ('par', 'seg'):
        small = F.interpolate(seen[name][:, None].float(), grid, mode='nearest')[:, 0].long()
        expected[name] = label_relation(small, 255, radius_mask(*grid, 2))
    other = 'seg' if source == 'cam' else 'par'
    assert torch.equal(seen['aff'], expected['par' if source == 'cam' else 'seg'])
    assert not torch.equal(seen['aff'], expected[other])


@pytest.mark.parametrize('it, warm, propagated', [(5, True, False), (6, False, False),
                                                (9, False, False), (10, False, True)])
def test_phase_boundaries_compare_the_0_based_iteration(it, warm, propagated, monkeypatch):
    """The authors' ``n_iter <= cam_iters`` (losses off) and ``n_iter <= 6000`` (PAR
    labels) on the 0-based iteration: here warm-up 5 and propagation after 9."""
    model = tiny_afa(warmup_iters=5, aff_label_iter=9).train()
    monkeypatch.setattr(model, 'train_iter', lambda: it)
    calls = []
    real = model.affinity_pseudo_labels
    monkeypatch.setattr(model, 'affinity_pseudo_labels',
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    x, samples = batch()
    losses = model.loss(x, samples)
    assert (losses['loss_seg'].item() == 0) == warm
    assert (losses['loss_aff'].item() == 0) == warm
    assert bool(calls) == propagated


def test_an_unknown_affinity_label_source_is_an_error():
    with pytest.raises(ValueError, match="aff_label_source must be 'cam' or 'seg'"):
        tiny_afa(aff_label_source='par')


def test_affinity_pseudo_labels_by_hand():
    """Identity affinity (T = I / 1.1: no walk), PAR without iterations, CAMs
    constant per image: each pixel's label is the rule on the two background
    scores by hand; absent classes never win, padding is ignored."""
    model = tiny_afa().train()
    model.par = MODELS.build(dict(type='PAR', dilations=(1, ), iterations=0))
    # low 0.35, high 0.55: (bg 0.35: fg, bg 0.55: fg) -> class; (fg, bg) -> 255;
    # (bg, bg) -> 0
    cases = [([1, 1, 0, 1], [0.6, 0.9, 0.3], 1),    # class 1 over both scores
             ([1, 0, 1, 0], [0.9, 0.45, 0.0], 255),  # 0.35 < 0.45 < 0.55
             ([1, 0, 0, 1], [0.0, 0.0, 0.3], 0)]     # below both
    labels = torch.tensor([c[0] for c in cases], dtype=torch.float32)
    cams = torch.tensor([c[1] for c in cases])[:, :, None, None].expand(3, K - 1, S, S)
    valid = torch.ones(3, S, S, dtype=torch.bool)
    valid[2, 20:] = False
    grid = (4, 4)
    aff = torch.eye(16)[None].expand(3, 16, 16)
    images = torch.rand(3, 3, S, S) * 255
    with torch.no_grad():
        label = model.affinity_pseudo_labels(images, cams, aff, grid, labels, valid)
    for b, (_, _, expected) in enumerate(cases):
        assert torch.all(label[b][valid[b]] == expected), b
    assert torch.all(label[2, 20:] == 255)


def authors_lr(t, lr, warmup_iters, max_iters, warmup_ratio, power):
    """The authors' PolyWarmupAdamW (rulixiang/afa utils/optimizer.py) at 0-based
    iteration t, by hand."""
    if t < warmup_iters:
        return lr * (1 - (1 - t / warmup_iters) * (1 - warmup_ratio))
    return lr * (1 - t / max_iters)**power


@pytest.mark.parametrize('name, warmup_iters, warmup_ratio', [
    ('afa_mit-b1_2xb2-20k_voc12aug-512x512.py', 1500, 1e-6),
    ('afa_mit-b1_4xb2-80k_coco14-512x512.py', 1500, 1e-6), (SYNTHETIC, 40, 1e-3)])
def test_lr_schedule_is_the_authors_warm_up_then_poly(name, warmup_iters, warmup_ratio):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'afa', name))
    lr, T = cfg.optim_wrapper.optimizer.lr, cfg.train_cfg.max_iters
    lrs = lr_curve(cfg.param_scheduler, lr, T)
    W = warmup_iters
    for t in (0, 1, W // 2, W - 1, W, W + 1, T // 2, T - 1):
        # power 1.0 (configs/voc_attn_reg.yaml)
        assert lrs[t] == pytest.approx(authors_lr(t, lr, W, T, warmup_ratio, 1.0),
                                       rel=1e-6), t
    if T == 20000:  # the numbers: a ramp to ~6e-5, then 6e-5 (1 - t / 20000)
        assert lrs[1499] == pytest.approx(5.996e-5, rel=1e-6)
        assert lrs[1500] == pytest.approx(6e-5 * 0.925, rel=1e-6)
        assert lrs[19999] == pytest.approx(3e-9, rel=1e-6)


@pytest.mark.parametrize('backbone', ['mit', 'vit'])
def test_a_few_steps_lower_the_losses(backbone):
    model = tiny_afa(backbone).train()
    x, samples = batch()
    optim = torch.optim.AdamW(model.parameters(), lr=3e-3)
    history = []
    for _ in range(8):
        losses = model.loss(x, samples)
        loss = sum(v for k, v in losses.items() if k.startswith('loss'))
        history.append({k: v.item() for k, v in losses.items()})
        optim.zero_grad()
        loss.backward()
        optim.step()
    first, last = history[0], history[-1]
    total = lambda h: sum(v for k, v in h.items() if k.startswith('loss'))  # noqa: E731
    assert total(last) < 0.8 * total(first)
    assert last['loss_cls'] < first['loss_cls'] and last['loss_aff'] < first['loss_aff']


@pytest.mark.parametrize('backbone', ['mit', 'vit'])
def test_the_head_learns_the_online_labels(backbone):
    """L_seg alone, only the segmentation head trained (so the online pseudo
    labels stay fixed): the loss falls at every step."""
    history = seg_loss_history(tiny_afa(backbone).train(), *batch())
    assert all(b < a for a, b in zip(history, history[1:])), history
    assert history[-1] < 0.92 * history[0]


def test_predict_segmentation_and_cams():
    model = tiny_afa().eval()
    x, samples = batch()
    with torch.no_grad():
        out = model.predict(x, samples)
        half = F.interpolate(x, (S // 2, S // 2), mode='bilinear')
        expected = torch.maximum(
            F.interpolate(model._forward(x), (S, S), mode='bilinear'),
            F.interpolate(model._forward(half), (S, S), mode='bilinear'))
    for j, (sample, y) in enumerate(zip(out, LABELS)):
        assert sample.pred_sem_seg.data.shape == (1, S, S)
        cams = sample.pred_cams.data
        assert cams.shape == (K, S, S) and torch.all(cams[0] == 0)
        for c in range(1, K):
            assert (cams[c].max() > 0.99) if y[c] else torch.all(cams[c] == 0)
    # without flip the merged logits are the max over scales
    model.test_cfg.update(flip=False, with_cams=False)
    with torch.no_grad():
        out = model.predict(x, batch()[1])
    torch.testing.assert_close(out[0].seg_logits.data, expected[0], rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------- configs
def test_voc_config_builds_with_the_papers_settings():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'afa',
                                   'afa_mit-b1_2xb2-20k_voc12aug-512x512.py'))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    assert model.attn_layers * model.backbone.num_heads[-1] == model.aff_head.in_channels
    assert tuple(model.backbone.strides) == (4, 2, 2, 1)
    assert model.decode_head.loss_decode.loss_weight == 0.1
    assert model.aff_head.loss_aff.loss_weight == 0.1
    assert model.train_cfg['warmup_iters'] == 2000
    assert model.train_cfg['aff_label_iter'] == 6000
    assert cfg.train_dataloader.batch_size == 2 and cfg.train_cfg.max_iters == 20000
    # the authors' optimiser groups: norm layers frozen, heads at 10x
    from mmengine.optim import build_optim_wrapper
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    lr = {id(p): g['lr'] for g in wrapper.optimizer.param_groups for p in g['params']}
    named = dict(model.named_parameters())
    assert lr[id(named['backbone.layers.3.1.0.norm1.weight'])] == 0
    assert lr[id(named['backbone.layers.3.2.weight'])] == 0
    assert lr[id(named['backbone.layers.3.1.0.attn.attn.in_proj_weight'])] == 6e-5
    assert lr[id(named['aff_head.attn_proj.weight'])] == pytest.approx(6e-4)
    assert lr[id(named['decode_head.conv_seg.weight'])] == pytest.approx(6e-4)


def test_coco_config_builds_with_the_authors_coco_settings():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'afa',
                                   'afa_mit-b1_4xb2-80k_coco14-512x512.py'))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    assert model.decode_head.num_classes == 81 and model.cls_head.num_classes == 81
    assert model.par.iterations == 15
    assert (model.train_cfg['warmup_iters'], model.train_cfg['aff_label_iter'],
            model.train_cfg['aff_label_source']) == (5000, 15000, 'seg')
    assert cfg.train_dataloader.batch_size == 2 and cfg.train_cfg.max_iters == 80000
    train = cfg.train_dataloader.dataset
    assert train.type == 'COCOImageLabelDataset' and train.data_prefix.img_path == 'train2014'
    assert 'xml_path' not in train.data_prefix
    assert [t['type'] for t in train.pipeline][:2] == ['LoadImageFromFile', 'RandomRescale']
    assert tuple(train.pipeline[1]['ratio_range']) == (0.5, 2.0)
    assert cfg.val_dataloader.dataset.indices == 5000
    assert 'Resize' not in [t['type'] for t in cfg.test_dataloader.dataset.pipeline]


def test_synthetic_config_builds_and_trains():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'afa', SYNTHETIC))
    cfg.model.backbone.init_cfg = None
    cfg.model.backbone.arch = dict(embed_dims=32, num_layers=6, num_heads=4,
                                   feedforward_channels=64)
    cfg.model.decode_head.in_channels = [32]
    cfg.model.cls_head.in_channels = 32
    cfg.model.par = dict(type='PAR', dilations=(1, 2), iterations=3)
    model = MODELS.build(cfg.model)
    model.init_weights()
    # the paper's settings scaled: radius 2 of 8 tokens (8 of 32), L_seg / L_aff
    # after 50 of 500 iterations (2000 of 20k), affinity labels after 150 (6000)
    assert (model.train_cfg['radius'], model.train_cfg['warmup_iters'],
            model.train_cfg['aff_label_iter']) == (2, 50, 150)
    assert model.aff_head.in_channels == model.attn_layers * 4  # 2 blocks x 4 heads
    # every path (affinity-propagated labels included) trains what it must
    model.train_cfg.update(warmup_iters=-1, aff_label_iter=-1)
    x, samples = batch([[1, 1, 0, 0, 0, 0, 0], [1, 0, 0, 1, 1, 0, 0]], size=64)
    losses = model.loss(x, samples)
    assert set(losses) == {'loss_cls', 'loss_aff', 'loss_seg', 'acc_seg'}
    assert all(losses[k].item() > 0 for k in ('loss_cls', 'loss_aff', 'loss_seg'))
    g = grads(model, sum(v for k, v in losses.items() if k.startswith('loss')))
    for part in ('backbone', 'cls_head', 'aff_head', 'decode_head'):
        assert reached(g, part), part


def test_multi_scale_config_feeds_the_stem_maps_to_the_head_only():
    """``afa_vit-t8-ms``: the SegFormer head reads the conv stem's stride-2 and
    stride-4 maps before the tokens (as MiT's stages); the classifier, its CAMs and
    the affinity read the last block exactly as without them (same weights)."""
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'afa', 'afa_vit-t8-ms_1xb16-500_synthetic-64x64.py'))
    cfg.model.backbone.init_cfg = None
    cfg.model.backbone.arch = dict(embed_dims=32, num_layers=2, num_heads=2,
                                   feedforward_channels=64)
    cfg.model.backbone.out_indices = (1, )
    cfg.model.decode_head.in_channels = [8, 16, 32]  # DeepConvStem: 32 / 4, 32 / 2
    cfg.model.cls_head.in_channels = 32
    cfg.model.aff_head.in_channels = 4
    cfg.model.par = dict(type='PAR', dilations=(1, 2), iterations=3)
    torch.manual_seed(0)
    ms = MODELS.build(cfg.model)
    ms.init_weights()
    ms.eval()
    cfg.model.backbone.stem_out_indices = ()
    cfg.model.decode_head.update(in_channels=[32], in_index=[0])
    single = MODELS.build(cfg.model)
    single.load_state_dict({k: v for k, v in ms.state_dict().items()
                            if not k.startswith('decode_head')}, strict=False)
    single.eval()
    x, samples = batch([[1, 1, 0, 0, 0, 0, 0], [1, 0, 0, 1, 1, 0, 0]], size=64)
    feats = ms.extract_feat(x)
    assert [tuple(f.shape) for f in feats] == [(2, 8, 32, 32), (2, 16, 16, 16), (2, 32, 8, 8)]
    assert tuple(ms._forward(x).shape) == (2, 7, 32, 32)  # the stride-2 map's grid
    assert tuple(single._forward(x).shape) == (2, 7, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(ms.forward_cams(x)['cam'], single.forward_cams(x)['cam'])
        f_ms, a_ms = ms.extract_feat_attn(x)
        f_single, a_single = single.extract_feat_attn(x)
    torch.testing.assert_close(f_ms[-1], f_single[-1])
    torch.testing.assert_close(a_ms[0], a_single[0])
    # the stem maps get L_seg's gradient
    ms.train()
    ms.train_cfg.update(warmup_iters=-1, aff_label_iter=-1)
    losses = ms.loss(x, samples)
    g = grads(ms, losses['loss_seg'])
    assert reached(g, 'decode_head.convs.0') and reached(g, 'backbone.patch_embed')


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
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'afa', SYNTHETIC))
    m = cfg.model
    m.backbone.init_cfg = None
    m.backbone.arch = dict(embed_dims=32, num_layers=3, num_heads=4,
                           feedforward_channels=64)
    m.backbone.out_indices = (2, )
    m.decode_head.in_channels = [32]
    m.cls_head.in_channels = 32
    m.par = dict(type='PAR', dilations=(1, 2), iterations=3)
    m.train_cfg.update(warmup_iters=0, aff_label_iter=0)  # iteration 1: every path
    m.test_cfg.update(scales=(1.0, ), cam_scales=(1.0, ))
    loss, runner = train_briefly(cfg, tmp_path, synthetic_root)
    assert math.isfinite(loss)
    # the runner's iteration drives the warm-up: L_seg off at iteration 0 only
    seg = runner.message_hub.get_scalar('train/loss_seg').data[0]
    assert len(seg) == 2 and seg[0] == 0 and seg[1] > 0
    metrics = runner.val_loop.run()
    assert 'mIoU' in metrics and 'cam/mIoU' in metrics
