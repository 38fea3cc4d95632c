"""Refinements (dense CRF, PAR, AffinityNet random walk), the pseudo-label
generator, its PNG format and the label metric, on hand-made cases."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from PIL import Image

from semformer.datasets.synthetic import PALETTE
from semformer.evaluation import PseudoLabelMetric
from semformer.models.segmentors.affinity_net import half_disc_offsets
from semformer.utils import load_cams, save_cams, save_label_png


def edge_case(h=24, w=24, edge=12, wrong=4):
    """Image: black left of column ``edge``, white right of it. Scores: the object
    (channel 1) spills ``wrong`` columns over the edge into the white part."""
    image = torch.zeros(3, h, w)
    image[:, :, edge:] = 255
    scores = torch.zeros(2, h, w)
    scores[0] = 0.5
    scores[1, :, :edge + wrong] = 0.7
    truth = torch.zeros(h, w, dtype=torch.long)
    truth[:, :edge] = 1
    return image, scores, truth


def test_dense_crf_snaps_labels_to_the_image_edge():
    image, scores, truth = edge_case()
    crf = MODELS.build(dict(type='DenseCRF', bilateral_sxy=10, bilateral_srgb=10))
    before = scores.argmax(0)
    assert (before != truth).sum() == 24 * 4  # the spilled strip
    q = crf(image, scores)
    assert q.shape == scores.shape
    assert torch.allclose(q.sum(0), torch.ones(24, 24), atol=1e-4)  # marginals
    assert torch.equal(q.argmax(0), truth)


def test_par_snaps_labels_to_the_image_edge():
    image, scores, truth = edge_case()
    par = MODELS.build(dict(type='PAR', dilations=(1, 2, 4), iterations=20))
    out = par(image, scores)
    assert out.shape == scores.shape
    assert torch.equal(out.argmax(0), truth)
    # a constant map stays constant (the weights of each pixel sum to 1)
    flat = par(image, torch.full((1, 24, 24), 0.3))
    assert torch.allclose(flat, torch.full_like(flat, 0.3), atol=1e-5)


def test_par_neighbours_are_shifted_copies():
    par = MODELS.build(dict(type='PAR', dilations=(2, ), iterations=1))
    x = torch.arange(36.).view(1, 1, 6, 6)
    nb = par.neighbours(x)  # (1, 1, 8, 6, 6); offset 0 is (-1, -1) x 2
    assert nb.shape == (1, 1, 8, 6, 6)
    assert nb[0, 0, 0, 3, 3] == x[0, 0, 1, 1]
    assert nb[0, 0, 7, 2, 2] == x[0, 0, 4, 4]
    assert nb[0, 0, 0, 0, 0] == x[0, 0, 0, 0]  # replicate padding


def test_half_disc_offsets_cover_each_pair_once():
    radius = 3
    offsets = half_disc_offsets(radius)
    full = {(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
            if 0 < dy * dy + dx * dx < radius * radius}
    assert len(offsets) == len(set(offsets)) == len(full) // 2
    assert set(offsets) | {(-dy, -dx) for dy, dx in offsets} == full


AFFINITY = dict(
    type='AffinityNet',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1],
                           seg_pad_val=255),
    backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8,
                  num_stages=2, out_indices=(0, 1), strides=(1, 2), dilations=(1, 1)),
    in_channels=(8, 16), in_index=(0, 1), channels=8, out_channels=8, radius=3)


def test_affinity_loss_pulls_same_and_pushes_different_labels():
    net = MODELS.build(AFFINITY)
    images = torch.rand(2, 3, 32, 32) * 255
    seeds = torch.zeros(2, 1, 32, 32, dtype=torch.long)
    seeds[:, :, :, 16:] = 1
    seeds[:, :, :4] = 255  # ignored rows
    samples = [SegDataSample(gt_sem_seg=PixelData(data=s)) for s in seeds]
    losses = net.loss(images, samples)
    assert set(losses) == {'loss_aff_bg', 'loss_aff_fg', 'loss_aff_neg'}
    sum(losses.values()).backward()
    assert net.fuse.weight.grad.abs().sum() > 0
    # features equal within each half, far apart across: every term ~ 0
    f = torch.zeros(2, 8, 8, 8)
    f[..., 4:] = 30.0
    net.features = lambda x: f
    losses = net.loss(images, samples)
    assert all(float(v) < 1e-3 for v in losses.values()), losses


def test_random_walk_propagates_into_the_affine_region_only(tmp_path):
    ckpt = str(tmp_path / 'aff.pth')
    torch.save({'state_dict': MODELS.build(AFFINITY).state_dict()}, ckpt)
    rw = MODELS.build(dict(type='RandomWalk', affinity_net=AFFINITY, checkpoint=ckpt,
                           beta=8, log_steps=6, bg_power=None))
    f = torch.zeros(1, 8, 8, 8)
    f[..., 4:] = 30.0  # left and right halves of the 8 x 8 feature grid
    rw.net.features = lambda x: f
    scores = torch.zeros(2, 32, 32)
    scores[0] = 0.2  # background score
    scores[1, 12:20, 2:8] = 1.0  # a seed inside the left half
    out = rw(torch.zeros(3, 32, 32), scores)
    label = out.argmax(0)
    assert torch.allclose(out[0], scores[0])  # a constant score stays constant
    assert (label[:, :12] == 1).all()  # the whole left half, not just the seed
    assert (label[:, 20:] == 0).all()  # nothing leaks across


def test_random_walk_psa_background_is_walked_with_the_classes(tmp_path):
    """PSA's background, (1 - max_c cam_c)^alpha, walked with the classes, nothing
    rescaled: with no affinity between cells the maps come back as given; a small
    seed walked over a uniform region keeps its mass (bg + fg = 1 everywhere), so
    the region goes to the background, where IRN's rescaling gives it the class."""
    ckpt = str(tmp_path / 'aff.pth')
    torch.save({'state_dict': MODELS.build(AFFINITY).state_dict()}, ckpt)
    rw = MODELS.build(dict(type='RandomWalk', affinity_net=AFFINITY, checkpoint=ckpt,
                           beta=8, log_steps=6, bg_power=2))
    assert MODELS.build(dict(type='RandomWalk', affinity_net=AFFINITY,
                             checkpoint=ckpt)).bg_power == 16  # PSA's infer_aff.py
    # every cell far from every other: T = I, the walk returns its input
    rw.net.features = lambda x: torch.arange(64.0).view(1, 1, 8, 8).expand(1, 8, 8, 8) * 50
    scores = torch.zeros(3, 32, 32)
    scores[0] = 0.9  # labeller's threshold above every class: replaced, not in the max
    scores[1] = 0.5
    scores[2, :, 16:] = 0.8
    out = rw(torch.zeros(3, 32, 32), scores)
    inner = torch.cat([torch.arange(12), torch.arange(20, 32)])  # off the step
    torch.testing.assert_close(out[1:, :, inner], scores[1:, :, inner])
    torch.testing.assert_close(out[0, :, :12], torch.full((32, 12), 0.25))  # (1 - .5)^2
    torch.testing.assert_close(out[0, :, 20:], torch.full((32, 12), 0.04))  # (1 - .8)^2
    # two halves, each one uniform region
    f = torch.zeros(1, 8, 8, 8)
    f[..., 4:] = 30.0
    rw.net.features = lambda x: f
    scores = torch.zeros(2, 32, 32)
    scores[1, 12:20, 2:8] = 1.0  # a seed inside the left half
    out = rw(torch.zeros(3, 32, 32), scores)
    torch.testing.assert_close(out.sum(0), torch.ones(32, 32))
    left = out[1, :, :12]
    assert 0.05 < float(left.min()) and float(left.max()) < 0.15  # the seed's share
    assert float(left.max() - left.min()) < 0.02  # spread evenly over its region
    assert float(out[1, :, 20:].max()) < 1e-3  # nothing leaks across
    assert (out.argmax(0) == 0).all()


def test_random_walk_needs_its_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match='train the AffinityNet first'):
        MODELS.build(dict(type='RandomWalk', affinity_net=AFFINITY,
                          checkpoint=str(tmp_path / 'none.pth')))


def test_generator_thresholds_maps_keys_and_ignores_the_uncertain_band():
    gen = MODELS.build(dict(type='PseudoLabelGenerator', bg_threshold=0.3,
                            confident_bg_threshold=0.1))
    cams = torch.tensor([[[0.9, 0.2, 0.05, 0.0]], [[0.1, 0.25, 0.0, 0.6]]])
    label = gen.label(torch.zeros(3, 1, 4), cams, torch.tensor([2, 5]))
    # 0.9 -> class 2; 0.25 (between 0.1 and 0.3) -> ignore; 0.05 -> bg; 0.6 -> 5
    assert label.tolist() == [[2, 255, 0, 5]]
    gen.confident_bg_threshold = None
    assert gen.label(torch.zeros(3, 1, 4), cams, torch.tensor([2, 5])).tolist() == \
        [[2, 0, 0, 5]]
    # no class maps at all (an image without object classes): background
    # everywhere, and no refiner runs (a random walk has nothing to walk)
    gen.refiners.append(_RecordShape())
    assert gen.label(torch.zeros(3, 1, 2), torch.zeros(0, 1, 2),
                     torch.zeros(0, dtype=torch.long)).tolist() == [[0, 0]]
    assert gen.refiners[0].shapes == []


class _RecordShape(torch.nn.Module):
    """A refiner that records the size it runs at and keeps the scores."""

    def __init__(self):
        super().__init__()
        self.shapes = []

    def forward(self, image, scores):
        self.shapes.append((tuple(image.shape), tuple(scores.shape)))
        return scores


def test_generator_refines_at_work_size_and_labels_at_the_image_size():
    gen = MODELS.build(dict(type='PseudoLabelGenerator', bg_threshold=0.3, work_size=4))
    rec = _RecordShape()
    gen.refiners.append(rec)
    assert gen.work_shape(8, 6) == (4, 3) and gen.work_shape(4, 2) == (4, 2)
    assert gen.work_shape(2, 3) == (3, 4)  # smaller images are enlarged
    # class 2 on the left half, class 5 on the right half of an 8 x 8 image
    cams = torch.zeros(2, 8, 8)
    cams[0, :, :4] = 0.9
    cams[1, :, 4:] = 0.8
    label = gen.label(torch.zeros(3, 8, 8), cams, torch.tensor([2, 5]))
    assert rec.shapes == [((3, 4, 4), (3, 4, 4))]
    assert label.shape == (8, 8)
    assert (label[:, :3] == 2).all() and (label[:, 5:] == 5).all()
    # at the work size already: nothing resized, the same labels as without it
    rec.shapes.clear()
    small = cams[:, ::2, ::2].contiguous()
    plain = MODELS.build(dict(type='PseudoLabelGenerator', bg_threshold=0.3))
    assert torch.equal(gen.label(torch.zeros(3, 4, 4), small, torch.tensor([2, 5])),
                       plain.label(torch.zeros(3, 4, 4), small, torch.tensor([2, 5])))
    assert rec.shapes == [((3, 4, 4), (3, 4, 4))]
    # the refined scores (not the labels) are resized: a 4 x 4 block of 1 becomes the
    # work size's cells 1-2; bilinearly back at 8 px its ramp is 0.25 at pixel 1
    # (above the background's 0.2, so labelled), where resizing the labels
    # (nearest) would give background
    gen.bg_threshold = 0.2
    cams = torch.zeros(1, 8, 8)
    cams[0, 2:6, 2:6] = 1.0
    label = gen.label(torch.zeros(3, 8, 8), cams, torch.tensor([3]))
    assert label[4].tolist() == [0, 3, 3, 3, 3, 3, 3, 0]
    assert label[1, 1] == 0  # 0.25 x 0.25 in the corner
    with pytest.raises(ValueError, match='work_size'):
        MODELS.build(dict(type='PseudoLabelGenerator', work_size=0))


class _Raise(torch.nn.Module):
    """A refiner that adds ``amount`` to one score channel."""

    def __init__(self, channel, amount):
        super().__init__()
        self.channel, self.amount = channel, amount

    def forward(self, image, scores):
        scores = scores.clone()
        scores[self.channel] += self.amount
        return scores


def test_generator_gives_the_labels_before_the_last_refiners_too():
    # three pixels; scores (class 2, class 5): (0.9, 0.1), (0.2, 0.25), (0.1, 0.6),
    # background 0.3
    cams = torch.tensor([[[0.9, 0.2, 0.1]], [[0.1, 0.25, 0.6]]])
    keys = torch.tensor([2, 5])
    gen = MODELS.build(dict(type='PseudoLabelGenerator', bg_threshold=0.3,
                            partial_refiners=1,
                            refiners=[dict(type='DenseCRF'), dict(type='DenseCRF')]))
    assert gen.partial_refiners == 1
    # refiner 1 lifts class 2 by 0.2 everywhere, refiner 2 lifts class 5 by 0.5
    gen.refiners = torch.nn.ModuleList([_Raise(1, 0.2), _Raise(2, 0.5)])
    partial, final = gen.labels(torch.zeros(3, 1, 3), cams, keys)
    # after refiner 1: (1.1, 0.1), (0.4, 0.25), (0.3, 0.6)
    assert partial.tolist() == [[2, 2, 5]]
    # after refiner 2: (1.1, 0.6), (0.4, 0.75), (0.3, 1.1)
    assert final.tolist() == [[2, 5, 5]]
    assert torch.equal(gen.label(torch.zeros(3, 1, 3), cams, keys), final)
    # the same labels as two generators, one with the first refiner only
    first = MODELS.build(dict(type='PseudoLabelGenerator', bg_threshold=0.3))
    first.refiners.append(_Raise(1, 0.2))
    assert torch.equal(first.label(torch.zeros(3, 1, 3), cams, keys), partial)
    # combined with a confident background, both labellings are combined
    # each combined with its own labelling at the confident background 0.8 ('agree'):
    # partial (1.1, 0.1) -> 2, (0.4, 0.25) -> bg, (0.3, 0.6) -> bg; final (1.1, 0.6)
    # -> 2, (0.4, 0.75) -> bg, (0.3, 1.1) -> 5
    gen.confident_bg_threshold = 0.8
    partial, final = gen.labels(torch.zeros(3, 1, 3), cams, keys)
    assert partial.tolist() == [[2, 255, 255]] and final.tolist() == [[2, 255, 5]]
    # predict sets both fields
    sample = SegDataSample()
    sample.cams = cams
    sample.cam_keys = keys
    gen.predict(torch.zeros(1, 3, 1, 3), [sample])
    assert sample.pred_sem_seg_partial.data.tolist() == [[[2, 255, 255]]]
    assert sample.pred_sem_seg.data.tolist() == [[[2, 255, 5]]]
    # an image without object classes: background in both
    empty = gen.labels(torch.zeros(3, 1, 2), torch.zeros(0, 1, 2),
                       torch.zeros(0, dtype=torch.long))
    assert [e.tolist() for e in empty] == [[[0, 0]], [[0, 0]]]
    # a partial labelling needs refiners on both sides of it
    for n in (0, 2):
        with pytest.raises(ValueError, match='partial_refiners must be between 1 and'):
            MODELS.build(dict(type='PseudoLabelGenerator', partial_refiners=n,
                              refiners=[dict(type='DenseCRF'), dict(type='DenseCRF')]))


def test_label_png_is_a_voc_palette_png(tmp_path):
    label = np.array([[0, 1, 6], [255, 3, 0]], np.int64)
    path = str(tmp_path / 'a.png')
    save_label_png(path, label, PALETTE)
    img = Image.open(path)
    assert img.mode == 'P'
    assert np.array_equal(np.asarray(img), label)
    pal = np.asarray(img.getpalette()[:3 * 256]).reshape(256, 3)
    assert np.array_equal(pal[:len(PALETTE)], np.asarray(PALETTE))
    assert pal[255].tolist() == [224, 224, 192]  # VOC's void, as the dataset masks
    assert not list(tmp_path.glob('*.tmp*'))


def test_cam_files_keep_the_present_classes_quantised(tmp_path):
    maps = np.zeros((7, 3, 4), np.float32)
    maps[2] = 0.5
    maps[5, 0, 0] = 1.0
    path = str(tmp_path / 'x.npz')
    save_cams(path, dict(cams=maps), np.array([2, 5]))
    keys, fields = load_cams(path)
    assert keys.tolist() == [2, 5] and fields['cams'].shape == (2, 3, 4)
    _, full = load_cams(path, num_classes=7)
    assert np.abs(full['cams'] - maps).max() <= 0.5 / 255 + 1e-7


def test_label_metric_counts_iou_fp_fn_and_coverage():
    metric = PseudoLabelMetric()
    metric.dataset_meta = dict(classes=('background', 'a', 'b'))
    gt = torch.tensor([[0, 0, 1, 1, 2, 255]])
    pred = torch.tensor([[0, 1, 1, 255, 2, 2]])
    metric.process({}, [dict(gt_sem_seg=dict(data=gt[None]),
                             pred_sem_seg=dict(data=pred[None]))])
    m = metric.compute_metrics(metric.results)
    # scored pixels 5, labelled 4; bg: tp 1, union 2; a: tp 1, union 2; b: tp 1, union 1
    assert m['labelled'] == pytest.approx(80.0)
    assert m['mIoU'] == pytest.approx(100 * (0.5 + 0.5 + 1) / 3)
    assert m['FP'] == pytest.approx(100 * (0 + 0.5 + 0) / 3)
    assert m['FN'] == pytest.approx(100 * (0.5 + 0 + 0) / 3)


def test_label_metric_scores_partial_labels_apart():
    metric = PseudoLabelMetric()
    metric.dataset_meta = dict(classes=('background', 'a'))
    gt = torch.tensor([[0, 0, 1, 1]])

    def sample(pred, partial=None):
        s = dict(gt_sem_seg=dict(data=gt[None]), pred_sem_seg=dict(data=pred[None]))
        if partial is not None:
            s['pred_sem_seg_partial'] = dict(data=partial[None])
        return s

    metric.process({}, [sample(torch.tensor([[0, 0, 1, 1]]), torch.tensor([[0, 1, 1, 255]]))])
    m = metric.compute_metrics(metric.results)
    assert m['mIoU'] == pytest.approx(100) and m['labelled'] == pytest.approx(100)
    # partial: bg tp 1, union 2; a: tp 1, union 2 (the ignored pixel left out)
    assert m['partial/mIoU'] == pytest.approx(50) and m['partial/labelled'] == 75
    assert m['partial/IoU.a'] == pytest.approx(50)
    metric.process({}, [sample(gt)])  # one sample without partial labels
    with pytest.raises(ValueError, match='some samples hold partial label maps'):
        metric.compute_metrics(metric.results)


def test_label_png_round_trip_and_errors(tmp_path):
    from semformer.utils import load_label_png, save_label_png
    label = np.array([[0, 1], [255, 6]], np.uint8)
    save_label_png(str(tmp_path / 'a.png'), label)
    np.testing.assert_array_equal(load_label_png(str(tmp_path / 'a.png')), label)
    with pytest.raises(FileNotFoundError, match='b.png not found'):
        load_label_png(str(tmp_path / 'b.png'))
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / 'rgb.png')
    with pytest.raises(ValueError, match=r'rgb.png has shape \(2, 2, 3\)'):
        load_label_png(str(tmp_path / 'rgb.png'))
