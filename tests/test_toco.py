"""ToCo (Ru et al., CVPR 2023) on tiny models: PTC, CTC and the dense-energy loss
against hand computations, the CTC head's EMA teacher, local crops, gradient
routing, a few training steps, prediction, and the configs."""
import math
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmseg.registry import MODELS, TRANSFORMS
from mmseg.structures import SegDataSample
from PIL import Image, ImageFilter

from conftest import REPO, load_tool, seg_loss_history
from semformer.models.segmentors.single_stage_wsss import label_relation, valid_masks
from semformer.models.segmentors.toco import local_crops, roi_mask
from semformer.models.losses.toco_losses import _DenseEnergy, bilateral_filter

K, S = 4, 32
SYNTHETIC = 'toco_vit-t8_1xb16-500_synthetic-64x64.py'
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


def tiny_toco(test_cfg=None, **train_cfg):
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
        test_cfg=dict(dict(scales=(1.0, ), with_cams=True, cam_scales=(1.0, 0.5)),
                      **(test_cfg or {}))))
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
    # dot products where exp() overflows (2e4 / temperature): the negative view's
    # e^-4e4 vanishes and the positives' terms log(1 + 1e-4 / e^4e4) too, leaving
    # the T log(1 + 1e-4) of the last term over T (|P| + 1e-4)
    student = torch.tensor([[[100.0], [100.0], [-100.0]]])
    teacher = torch.tensor([[[100.0], [100.0]]])
    value = loss(student, teacher, torch.tensor([[1, 1, 0]]))
    assert value.item() == pytest.approx(math.log(1 + 1e-4) / (2 + 1e-4), rel=1e-3)


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


def gaussian_energy_by_hand(image, probs, gate, roi, sigma_rgb, sigma_xy):
    """-sum_i gate_i sum_k S_ik sum_j G_ij S_jk with S = probs * roi, literally."""
    _, H, W = image.shape
    pix = [(y, x) for y in range(H) for x in range(W)]
    total = 0.0
    for (y, x) in pix:
        for (v, u) in pix:
            g = math.exp(-((y - v)**2 + (x - u)**2) / (2 * sigma_xy**2)
                         - float(((image[:, y, x] - image[:, v, u])**2).sum())
                         / (2 * sigma_rgb**2))
            for k in range(probs.shape[0]):
                total -= (float(gate[y, x]) * float(probs[k, y, x] * roi[y, x]) * g
                          * float(probs[k, v, u] * roi[v, u]))
    return total


def test_dense_energy_loss_by_hand():
    torch.manual_seed(0)
    # full scale, kernel gain 1: the plain Gaussian energy, gate 1 on ignored pixels
    loss = MODELS.build(dict(type='DenseEnergyLoss', sigma_xy=2.0, scale_factor=1.0,
                             energy_weight=1.0, kernel_gain=1.0, loss_weight=1.0))
    image = torch.rand(1, 3, 2, 3) * 255
    logits = torch.randn(1, 2, 2, 3)
    label = torch.tensor([[[0, 255, 1], [1, 0, 255]]])
    probs = logits.softmax(1)[0]
    gate = (1 - probs.max(0)[0]).clamp(min=0)
    gate[label[0] == 255] = 1
    expected = gaussian_energy_by_hand(image[0], probs, gate, torch.ones(2, 3), 15.0, 2.0)
    assert loss(image, logits, label).item() == pytest.approx(expected, rel=1e-5)

    # ToCo's: at scale 0.5 (image, mask, label nearest: even rows / columns;
    # probabilities bilinear: 2 x 2 means), sigma_xy x 0.5, W = 0.6 G (rloss's
    # lattice), / B, x 1e-7 x 0.05
    default = MODELS.build(dict(type='DenseEnergyLoss', loss_weight=0.05))
    assert (default.kernel_gain, default.energy_weight, default.sigma_rgb,
            default.sigma_xy, default.scale_factor) == (0.6, 1e-7, 15.0, 100.0, 0.5)
    loss = MODELS.build(dict(type='DenseEnergyLoss', sigma_xy=6.0, loss_weight=0.05))
    image = torch.rand(2, 3, 4, 4) * 255
    logits = torch.randn(2, 3, 4, 4) * 2
    label = torch.randint(0, 3, (2, 4, 4))
    label[0, 0, 0] = label[1, 2, 2] = 255
    valid = torch.ones(2, 4, 4, dtype=torch.bool)
    valid[1, :, 2:] = False  # padding: outside the energy
    expected = 0.0
    for b in range(2):
        small = logits[b].softmax(0).view(3, 2, 2, 2, 2).mean((2, 4))  # (3, 2, 2)
        roi = valid[b, ::2, ::2].float()
        gate = (roi - small.max(0)[0]).clamp(min=0)
        gate[label[b, ::2, ::2] == 255] = 1
        expected += gaussian_energy_by_hand(image[b, :, ::2, ::2], small, gate, roi,
                                            15.0, 3.0)
    expected *= 0.05 * 1e-7 * 0.6 / 2
    assert loss(image, logits, label, valid).item() == pytest.approx(expected, rel=1e-4)


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
    # centres stay inside the valid region: image 1's only valid centre
    valid[1] = False
    valid[1, 2 + 3, 2 + 1] = True
    crops, _ = local_crops(image, roi, valid, num_crops=1, size=4, neg_ratio=0.2)
    torch.testing.assert_close(crops[1, 0], image[1, :, 3:7, 1:5])


# ------------------------------------------------------------------ the views
def views_transform(**kw):
    off = dict(jitter_prob=0, gray_prob=0, flip_prob=0, main_blur_prob=0,
               local_blur_prob=0, global_blur_prob=0, solarize_prob=0)
    return TRANSFORMS.build(dict(type='ToCoViews', **dict(off, **kw)))


def test_toco_views_transform_by_hand():
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)  # BGR
    crop = rng.integers(0, 256, (6, 10, 3), dtype=np.uint8)
    seg = np.arange(60, dtype=np.uint8).reshape(6, 10)

    def run(t, raw=raw, crop=crop):
        return t(dict(img=crop.copy(), raw_img=raw.copy(), gt_seg_map=seg.copy(),
                      seg_fields=['gt_seg_map'], flip=False))

    # nothing drawn: input and local view are the crop; the global view the whole
    # square image (area 1) resized bicubic, in RGB, back to BGR
    out = run(views_transform(crop_size=(8, 8), global_crop_scale=(1.0, 1.0)))
    assert np.array_equal(out['img'], crop) and np.array_equal(out['toco_local_view'], crop)
    expected = np.asarray(Image.fromarray(raw[..., ::-1].copy()).resize(
        (8, 8), Image.BICUBIC))[..., ::-1]
    assert np.array_equal(out['toco_global_view'], expected)
    assert 'raw_img' not in out and np.array_equal(out['gt_seg_map'], seg)
    # flips: the input's also flips the maps and the flip flag
    out = run(views_transform(crop_size=8, flip_prob=1.0))
    assert np.array_equal(out['img'], crop[:, ::-1])
    assert np.array_equal(out['toco_local_view'], crop[:, ::-1])
    assert np.array_equal(out['gt_seg_map'], seg[:, ::-1]) and out['flip'] is True
    # solarisation (global view only): values >= 128 inverted
    const = lambda v: np.full((12, 12, 3), v, np.uint8)  # noqa: E731
    t = views_transform(crop_size=8, solarize_prob=1.0)
    assert np.all(run(t, raw=const(200))['toco_global_view'] == 55)
    assert np.all(run(t, raw=const(127))['toco_global_view'] == 127)
    assert np.array_equal(run(t)['toco_local_view'], crop)
    # blur (PIL's, radius = sigma): the input always (p 1.0), here 1.0 exactly
    t = views_transform(crop_size=8, main_blur_prob=1.0, blur_sigma=(1.0, 1.0))
    out = run(t)
    blurred = Image.fromarray(crop[..., ::-1].copy()).filter(ImageFilter.GaussianBlur(1.0))
    assert np.array_equal(out['img'], np.asarray(blurred)[..., ::-1])
    assert np.array_equal(out['toco_local_view'], crop)
    # grayscale: equal channels
    out = run(views_transform(crop_size=8, gray_prob=1.0))
    for key in ('img', 'toco_local_view', 'toco_global_view'):
        assert np.all(out[key] == out[key][..., :1])
    with pytest.raises(KeyError, match='KeepRawImage'):
        views_transform(crop_size=8)(dict(img=crop))


def test_toco_views_local_flip_is_independent_of_the_inputs():
    crop = np.zeros((4, 6, 3), np.uint8)
    crop[:, 0] = 255  # bright left column: a flip moves it right
    np.random.seed(0)
    torch.manual_seed(0)
    for independent, combos in ((True, {(0, 0), (0, 1), (1, 0), (1, 1)}),
                                (False, {(0, 0), (1, 1)})):
        t = views_transform(crop_size=4, flip_prob=0.5, local_flip_independent=independent)
        seen = set()
        for _ in range(40):
            out = t(dict(img=crop.copy(), raw_img=crop.copy()))
            seen.add((int(out['img'][0, -1, 0] == 255),
                      int(out['toco_local_view'][0, -1, 0] == 255)))
        assert seen == combos


def test_pack_toco_inputs():
    rng = np.random.default_rng(0)
    g = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    loc = rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)
    pack = TRANSFORMS.build(dict(type='PackToCoInputs'))
    out = pack(dict(img=loc.copy(), img_shape=(6, 5), gt_image_labels=np.ones(3),
                    toco_global_view=g, toco_local_view=loc))
    sample = out['data_samples']
    assert torch.equal(sample.toco_global_view, torch.from_numpy(g).permute(2, 0, 1))
    assert torch.equal(sample.toco_local_view, out['inputs'])  # the same layout
    assert sample.gt_image_labels.tolist() == [1.0, 1.0, 1.0]


def packed_sample(labels, img_shape, global_bgr, local_bgr, global_size=(40, 40)):
    s = SegDataSample(metainfo=dict(img_shape=img_shape, ori_shape=img_shape))
    s.gt_image_labels = torch.tensor(labels, dtype=torch.float32)
    s.toco_global_view = torch.tensor(global_bgr, dtype=torch.uint8)[:, None, None].expand(
        3, *global_size).clone()
    s.toco_local_view = torch.tensor(local_bgr, dtype=torch.uint8)[:, None, None].expand(
        3, *img_shape).clone()
    return s


def normalised(rgb):
    mean, std = torch.tensor(PRE['mean']), torch.tensor(PRE['std'])
    return ((torch.tensor(rgb, dtype=torch.float32) - mean) / std)[:, None, None]


def test_training_views_read_the_packed_views_and_fall_back(monkeypatch):
    model = tiny_toco().train()
    x, samples = batch()
    images = model.rgb_images(x)
    samples[0] = packed_sample(LABELS[0], (24, 20), (10, 20, 30), (200, 100, 50))
    valid = valid_masks(samples, (S, S), x.device)
    made = []  # the fallback's views, as training_views receives them

    def spy(*args):
        made.append(type(model).make_views(model, *args))
        return made[-1]

    monkeypatch.setattr(model, 'make_views', spy)
    g, loc = model.training_views(samples, images, valid)
    assert g.shape == loc.shape == (2, 3, S, S)
    # BGR -> RGB, normalised; the global view resized to the input, the local view
    # padded at the bottom and right with the preprocessor's pad value (0)
    torch.testing.assert_close(g[0], normalised((30, 20, 10)).expand(3, S, S))
    torch.testing.assert_close(loc[0, :, :24, :20], normalised((50, 100, 200)).expand(3, 24, 20))
    assert torch.all(loc[0, :, 24:] == 0) and torch.all(loc[0, :, :, 20:] == 0)
    # sample 1 has no views: the on-batch fallback's, normalised
    assert len(made) == 1
    torch.testing.assert_close(g[1], model.normalise_images(made[0][0])[1])
    torch.testing.assert_close(loc[1], model.normalise_images(made[0][1])[1])
    # every sample packed: the fallback is never called
    samples[1] = packed_sample(LABELS[1], (S, S), (0, 0, 0), (255, 255, 255))
    monkeypatch.setattr(model, 'make_views', lambda *a: pytest.fail('fallback used'))
    g, loc = model.training_views(samples, images, valid_masks(samples, (S, S), x.device))
    torch.testing.assert_close(loc[1], normalised((255, 255, 255)).expand(3, S, S))
    # a view of another size than the image is refused
    samples[1].toco_local_view = samples[1].toco_local_view[:, :16]
    with pytest.raises(ValueError, match='ToCoViews must come'):
        model.training_views(samples, images, valid_masks(samples, (S, S), x.device))


def test_loss_cuts_the_local_crops_from_the_packed_local_view(monkeypatch):
    import semformer.models.segmentors.toco as toco
    model = tiny_toco().train()
    x, _ = batch()
    samples = [packed_sample(LABELS[0], (S, S), (10, 20, 30), (200, 100, 50)),
               packed_sample(LABELS[1], (S, 24), (1, 2, 3), (40, 50, 60))]
    seen = {}

    def spy(image, *args, **kwargs):
        seen['image'] = image
        return local_crops(image, *args, **kwargs)

    monkeypatch.setattr(toco, 'local_crops', spy)
    monkeypatch.setattr(model, 'make_views', lambda *a: pytest.fail('fallback used'))
    model.loss(x, samples)
    torch.testing.assert_close(seen['image'][0], normalised((50, 100, 200)).expand(3, S, S))
    torch.testing.assert_close(seen['image'][1, :, :, :24],
                               normalised((60, 50, 40)).expand(3, S, 24))


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


def test_contrast_losses_are_off_before_contrast_warmup_iters():
    """The authors' COCO script trains without L_ptc and L_ctc up to 12000."""
    model = tiny_toco(contrast_warmup_iters=10**9).train()
    x, samples = batch()
    losses = model.loss(x, samples)
    assert losses['loss_ptc'].item() == 0 and losses['loss_ctc'].item() == 0
    assert losses['loss_seg'].item() > 0 and losses['loss_cls'].item() > 0
    g = grads(model, sum(v for k, v in losses.items() if k.startswith('loss')))
    assert not reached(g, 'ctc_head') and reached(g, 'decode_head')


@pytest.mark.parametrize('aux_label_iters, source', [(10**9, 'aux'), (-1, 'cam')])
def test_segmentation_labels_come_from_the_intermediate_cam_first(
        aux_label_iters, source, monkeypatch):
    """Up to ``aux_label_iters`` PAR refines the intermediate (block ``aux_layer``)
    CAM into the segmentation labels, after it the final CAM (COCO: 12000; VOC:
    the final CAM throughout)."""
    from semformer.models.segmentors import toco as toco_module
    model = tiny_toco(aux_label_iters=aux_label_iters).train()
    seen = {}
    real_cams, real_par = model.multi_scale_cams, toco_module.par_pseudo_labels

    def cams(*args, **kwargs):
        seen['cams'] = real_cams(*args, **kwargs)
        return seen['cams']

    def par_labels(par, images, maps, *args):
        seen['maps'] = maps
        return real_par(par, images, maps, *args)

    monkeypatch.setattr(model, 'multi_scale_cams', cams)
    monkeypatch.setattr(toco_module, 'par_pseudo_labels', par_labels)
    x, samples = batch()
    model.loss(x, samples)
    maps = seen['cams'][0]
    fg = torch.tensor(LABELS, dtype=torch.float32)[:, 1:, None, None]
    other = 'cam' if source == 'aux' else 'aux'
    assert not torch.equal(maps['aux'], maps['cam'])
    assert torch.equal(seen['maps'], maps[source] * fg)
    assert not torch.equal(seen['maps'], maps[other] * fg)


@pytest.mark.parametrize('it, off', [(7, True), (8, False)])
def test_phase_boundaries_compare_the_0_based_iteration_with_le(it, off, monkeypatch):
    """As the authors' ``if n_iter <= N`` on the 0-based iteration: at iteration N
    the phase still holds, at N + 1 it is over (``train_iter()``, the runner's
    ``iter``)."""
    model = tiny_toco(warmup_iters=7, contrast_warmup_iters=7, aux_label_iters=7).train()
    monkeypatch.setattr(model, 'train_iter', lambda: it)
    x, samples = batch()
    losses = model.loss(x, samples)
    for name in ('loss_seg', 'loss_reg', 'loss_ptc', 'loss_ctc'):
        assert (losses[name].item() == 0) == off, name


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


def test_the_head_learns_the_online_labels():
    """L_seg alone, only the segmentation head trained (so the online pseudo
    labels stay fixed): the loss falls at every step."""
    history = seg_loss_history(tiny_toco().train(), *batch())
    assert all(b < a for a, b in zip(history, history[1:])), history
    assert history[-1] < 0.92 * history[0]


def test_predict_segmentation_and_cams():
    model = tiny_toco().eval()
    x, samples = batch()
    with torch.no_grad():
        out = model.predict(x, samples)
        up = lambda z: F.interpolate(model._forward(z), (S, S), mode='bilinear')  # noqa
        expected = (up(x) + up(x.flip(-1)).flip(-1)) / 2  # scale 1 + flip, averaged
    for sample, y, e in zip(out, LABELS, expected):
        torch.testing.assert_close(sample.seg_logits.data, e, rtol=1e-4, atol=1e-5)
        assert torch.equal(sample.pred_sem_seg.data[0], sample.seg_logits.data.argmax(0))
        cams = sample.pred_cams.data
        assert cams.shape == (K, S, S) and torch.all(cams[0] == 0)
        for c in range(1, K):
            assert (cams[c].max() > 0.99) if y[c] else torch.all(cams[c] == 0)


def test_predict_with_the_coco_scripts_merge():
    """ToCo's COCO inference: per scale the max of the image and its flip, then
    the scales summed (``flip_merge='max'``, ``merge='mean'``; same arg-max)."""
    model = tiny_toco().eval()
    x, samples = batch()

    def at(scale, flip_max):
        z = F.interpolate(x, (int(S * scale), ) * 2, mode='bilinear') if scale != 1 else x
        up = lambda t: F.interpolate(model._forward(t), (S, S), mode='bilinear')  # noqa
        a, b = up(z), up(z.flip(-1)).flip(-1)
        return torch.maximum(a, b) if flip_max else (a + b) / 2

    with torch.no_grad():
        model.test_cfg.update(scales=(1.0, 1.5), flip_merge='max', merge='mean')
        coco = torch.stack([o.seg_logits.data for o in model.predict(x, samples)])
        model.test_cfg.update(flip_merge='mean', merge='max')  # the VOC scripts'
        voc = torch.stack([o.seg_logits.data for o in model.predict(x, samples)])
        torch.testing.assert_close(coco, (at(1.0, True) + at(1.5, True)) / 2,
                                   rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(voc, torch.maximum(at(1.0, False), at(1.5, False)),
                                   rtol=1e-4, atol=1e-5)
    assert not torch.allclose(coco, voc, atol=1e-3)


def test_an_unknown_flip_merge_is_an_error():
    with pytest.raises(ValueError, match="test_cfg.flip_merge must be 'max' or 'mean'"):
        tiny_toco(test_cfg=dict(flip_merge='sum'))


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
    # the training pipeline packs the authors' views: the second global view at the
    # crop size, the local view at the input's size (the crop of a rescaled image)
    from mmengine.dataset import Compose
    pipeline = Compose(cfg.train_dataloader.dataset.pipeline)
    assert [t['type'] for t in cfg.train_dataloader.dataset.pipeline][-3:] == [
        'RandomCrop', 'ToCoViews', 'PackToCoInputs']
    img = osp.join(voc_root, 'JPEGImages', '2007_000032.jpg')  # 30 x 40
    for _ in range(3):
        out = pipeline(dict(img_path=img, gt_image_labels=np.zeros(21),
                            seg_fields=[], reduce_zero_label=False))
        sample = out['data_samples']
        h, w = out['inputs'].shape[1:]
        assert (h, w) == sample.img_shape and max(h, w) <= 448
        assert sample.toco_global_view.shape == (3, 448, 448)
        assert sample.toco_local_view.shape == (3, h, w)


def test_coco_config_builds_with_the_authors_coco_settings():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'toco',
                                   'toco_vit-b_4xb2-80k_coco14-448x448.py'))
    m = cfg.model
    assert (m.loss_ptc.loss_weight, m.loss_ctc.loss_weight, m.loss_reg.loss_weight,
            m.decode_head.loss_decode.loss_weight) == (0.2, 0.5, 0.05, 0.1)
    assert m.loss_ctc.temperature == 1.0
    assert cfg.train_dataloader.batch_size == 2 and cfg.train_cfg.max_iters == 80000
    m.backbone.init_cfg = None
    model = MODELS.build(m)  # ViT-B at full size
    assert model.backbone.embed_dims == 768 and len(model.backbone.layers) == 12
    assert model.aux_layer == 9
    assert (model.decode_head.num_classes, model.cls_head.num_classes,
            model.aux_cls_head.num_classes) == (81, 81, 81)
    t = model.train_cfg
    assert (t['high_thre'], t['low_thre'], t['warmup_iters'], t['contrast_warmup_iters'],
            t['aux_label_iters']) == (0.65, 0.25, 8000, 12000, 12000)
    train = cfg.train_dataloader.dataset
    assert train.type == 'COCOImageLabelDataset' and train.data_prefix.img_path == 'train2014'
    assert [t['type'] for t in train.pipeline] == [
        'LoadImageFromFile', 'KeepRawImage', 'RandomRescale', 'RandomFlip', 'RandomCrop',
        'ToCoViews', 'PackToCoInputs']
    assert cfg.val_dataloader.dataset.indices == 5000
    # the authors' COCO test: 448 x 448, flips by max, scales summed
    assert (model.test_cfg['flip_merge'], model.test_cfg['merge']) == ('max', 'mean')
    assert tuple(model.test_cfg['scales']) == (1.0, 1.25, 1.5)
    resize = cfg.test_dataloader.dataset.pipeline[1]
    assert resize['type'] == 'Resize' and tuple(resize['scale']) == (448, 448)
    assert resize['keep_ratio'] is False


def test_synthetic_config_builds_and_trains():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'toco', SYNTHETIC))
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
    # the paper's settings scaled: block 4 of 6, 16 px local crops (96 of 448),
    # sigma_xy 15 px, L_seg / L_reg after 50 of 500 iterations
    assert model.aux_layer == 3 and model.train_cfg['local_crop_size'] == 16
    assert model.loss_reg.sigma_xy == 15.0 and model.train_cfg['warmup_iters'] == 50
    views = [t for t in cfg.train_dataloader.dataset.pipeline if t['type'] == 'ToCoViews']
    assert len(views) == 1 and tuple(views[0]['crop_size']) == (64, 64)
    # a batch without packed views (the on-batch fallback) trains every head
    model.train_cfg.update(warmup_iters=-1)
    x, samples = batch([[1, 1, 0, 0, 0, 0, 0], [1, 0, 0, 1, 1, 0, 0]], size=64)
    losses = model.loss(x, samples)
    assert {k for k in losses if k.startswith('loss')} == {
        'loss_cls', 'loss_cls_aux', 'loss_ctc', 'loss_ptc', 'loss_seg', 'loss_reg'}
    g = grads(model, sum(v for k, v in losses.items() if k.startswith('loss')))
    for head in ('cls_head', 'aux_cls_head', 'ctc_head.mlp', 'decode_head', 'backbone'):
        assert reached(g, head), head
    assert not reached(g, 'ctc_head.teacher') and not g['backbone.pos_embed']


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


def test_synthetic_config_runs_in_the_runner(tmp_path, synthetic_root, monkeypatch):
    # the pipeline's views reach the model through the preprocessor: no fallback
    from semformer.models.segmentors.toco import ToCo
    monkeypatch.setattr(ToCo, 'make_views', lambda *a: pytest.fail('fallback used'))
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'toco', SYNTHETIC))
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
    # the runner's iteration drives the warm-up: L_seg off at iteration 0 only
    seg = runner.message_hub.get_scalar('train/loss_seg').data[0]
    assert len(seg) == 2 and seg[0] == 0 and seg[1] > 0
    metrics = runner.val_loop.run()
    assert 'mIoU' in metrics and 'cam/mIoU' in metrics


def authors_lr(t, lr, warmup_iters, max_iters, warmup_ratio, power):
    """The authors' PolyWarmupAdamW (rulixiang/ToCo and rulixiang/afa
    utils/optimizer.py) at 0-based iteration t, by hand."""
    if t < warmup_iters:
        return lr * (1 - (1 - t / warmup_iters) * (1 - warmup_ratio))
    return lr * (1 - t / max_iters)**power


def scheduled_lrs(cfg):
    """The lr of every iteration under the config's mmengine schedulers."""
    from mmengine.registry import PARAM_SCHEDULERS
    optim = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))],
                            lr=cfg.optim_wrapper.optimizer.lr)
    schedulers = [PARAM_SCHEDULERS.build(dict(s, optimizer=optim))
                  for s in cfg.param_scheduler]
    lrs = []
    for _ in range(cfg.train_cfg.max_iters):
        lrs.append(optim.param_groups[0]['lr'])
        optim.step()
        for s in schedulers:
            s.step()
    return lrs


@pytest.mark.parametrize('name, warmup_iters, warmup_ratio', [
    ('toco_vit-b_2xb2-20k_voc12aug-448x448.py', 1500, 1e-6),
    ('toco_vit-b_4xb2-80k_coco14-448x448.py', 1500, 1e-6), (SYNTHETIC, 40, 1e-3)])
def test_lr_schedule_is_the_authors_warm_up_then_poly(name, warmup_iters, warmup_ratio):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'toco', name))
    lr, T = cfg.optim_wrapper.optimizer.lr, cfg.train_cfg.max_iters
    lrs = scheduled_lrs(cfg)
    W = warmup_iters
    for t in (0, 1, W // 2, W - 1, W, W + 1, T // 2, T - 1):
        assert lrs[t] == pytest.approx(authors_lr(t, lr, W, T, warmup_ratio, 0.9),
                                       rel=1e-6), t
    if T == 20000:  # the numbers: a ramp to ~6e-5, not times the poly factor
        assert lrs[1499] == pytest.approx(5.996e-5, rel=1e-6)
        assert lrs[1500] == pytest.approx(6e-5 * 0.925**0.9, rel=1e-6)
        assert lrs[10000] == pytest.approx(6e-5 * 0.5**0.9, rel=1e-6)


def test_timm_vit_converter_loads_into_the_backbone(tmp_path):
    converter = load_tool('tools/model_converters/timm_vit_to_mmpretrain.py')
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
