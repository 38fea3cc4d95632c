"""The authors' (IRN-style) AffinityNet and random walk, and their seed labels:
path discretisation, affinities across a boundary, the loss against a hand
computation, a frozen backbone, the walk staying inside a region, the combination
of the two seed labellings."""
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from semformer.models.segmentors.affinity_net import half_disc_offsets
from semformer.models.segmentors.boundary_affinity_net import path_max, path_points

NET = dict(
    type='BoundaryAffinityNet',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1],
                           seg_pad_val=255),
    backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8,
                  num_stages=2, out_indices=(0, 1), strides=(1, 2), dilations=(1, 1)),
    in_channels=(8, 16), in_index=(0, 1), channels=8, radius=3)


def test_path_points_by_hand():
    assert path_points(0, 3) == [(0, 0), (0, 1), (0, 2), (0, 3)]
    # a diagonal step also passes the two pixels beside it (distance 1/sqrt(2) < 1)
    assert sorted(path_points(1, 1)) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    # (1, 2): |x - 2y|^2 < 5 keeps all 6 points of the box, by hand:
    # (0,0) 0, (0,1) 1, (0,2) 4, (1,0) 4, (1,1) 1, (1,2) 0 -> all 6 are < 5
    assert sorted(path_points(1, 2)) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    # (2, 1): |2x - y|^2 < 5: (0,0) 0, (1,0) 1, (2,0) 4, (0,1) 4, (1,1) 1, (2,1) 0 -> all
    assert len(path_points(2, 1)) == 6
    # (3, 1): |3x - y|^2 < 10 keeps the whole 4 x 2 box (largest: (0, 1) and (3, 0), 9)
    assert len(path_points(3, 1)) == 8
    # (2, 2): |2x - 2y|^2 < 8 drops the two far corners (0, 2) and (2, 0) (16)
    assert sorted(path_points(2, 2)) == [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 1),
                                         (2, 2)]
    # (2, 4): |2x - 4y|^2 < 20 drops (0, 3) 36, (0, 4) 64, (2, 0) 64, (2, 1) 36
    box = {(y, x) for y in range(3) for x in range(5)}
    assert box - set(path_points(2, 4)) == {(0, 3), (0, 4), (2, 0), (2, 1)}
    # symmetric in sign
    assert sorted(path_points(2, -2)) == sorted((y, -x) for y, x in path_points(2, 2))
    assert path_points(2, 4)[0] == (0, 0) and path_points(2, 4)[-1] == (2, 4)


def test_path_max_sees_a_wall_between_the_two_pixels():
    edge = torch.zeros(1, 5, 6)
    edge[0, :, 3] = 0.9  # a vertical boundary in column 3
    m = path_max(edge, 0, 2)  # pairs (y, x) - (y, x + 2): x = 0..3
    assert m.shape == (1, 5, 4)
    assert m[0, 0].tolist() == pytest.approx([0.0, 0.9, 0.9, 0.9])
    m = path_max(edge, 1, -1)  # pairs (y, x) - (y + 1, x - 1): x = 1..5
    # the path of (y, x) also holds (y, x - 1) and (y + 1, x): columns x - 1 and x
    assert m[0, 0].tolist() == pytest.approx([0.0, 0.0, 0.9, 0.9, 0.0])


def samples(labels):
    return [SegDataSample(gt_sem_seg=PixelData(data=l[None])) for l in labels]


def test_loss_against_a_hand_computation_and_gradients():
    torch.manual_seed(0)
    net = MODELS.build(NET)
    net.init_weights()
    net.train()
    images = torch.rand(2, 3, 16, 16) * 255
    labels = torch.zeros(2, 16, 16, dtype=torch.long)
    labels[:, :, 8:] = 3
    labels[:, :2] = 255
    losses = net.loss(images, samples(labels))
    sum(losses.values()).backward()
    assert net.edge_out.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in net.backbone.parameters())  # frozen
    # the loss written out from the boundary map, pair by pair
    edge = torch.sigmoid(net.edge_logits(images)[:, 0]).detach()
    lab = torch.nn.functional.interpolate(labels[:, None].float(), edge.shape[-2:],
                                          mode='nearest')[:, 0].long()
    B, h, w = edge.shape
    terms = dict(bg=[], fg=[], neg=[])
    for b in range(B):
        for y in range(h):
            for x in range(w):
                for dy, dx in half_disc_offsets(3):
                    y1, x1 = y + dy, x + dx
                    if not (0 <= y1 < h and 0 <= x1 < w):
                        continue
                    a, c = lab[b, y, x].item(), lab[b, y1, x1].item()
                    if 255 in (a, c):
                        continue
                    path = {(y + py, x + px)
                            for py in range(min(0, dy), max(0, dy) + 1)
                            for px in range(min(0, dx), max(0, dx) + 1)
                            if (dy * px - dx * py)**2 < dy * dy + dx * dx}
                    aff = 1 - max(edge[b, p, q].item() for p, q in path)
                    if a != c:
                        terms['neg'].append(-torch.log(torch.tensor(1 + 1e-5 - aff)))
                    else:
                        terms['bg' if a == 0 else 'fg'].append(
                            -torch.log(torch.tensor(aff + 1e-5)))
    mean = {k: torch.stack(v).sum() / (len(v) + 1e-5) for k, v in terms.items()}
    with torch.no_grad():
        again = net.loss(images, samples(labels))
    assert again['loss_aff_bg'].item() == pytest.approx(mean['bg'].item() / 4, rel=1e-4)
    assert again['loss_aff_fg'].item() == pytest.approx(mean['fg'].item() / 4, rel=1e-4)
    assert again['loss_aff_neg'].item() == pytest.approx(mean['neg'].item() / 2, rel=1e-4)


def test_backbone_stays_in_eval_mode_with_fixed_statistics():
    net = MODELS.build(NET)
    net.init_weights()
    net.train()
    bn = net.backbone.stem[1]
    before = bn.running_mean.clone()
    net.loss(torch.rand(2, 3, 16, 16) * 255, samples(torch.zeros(2, 16, 16).long()))
    assert not net.backbone.training and net.training
    assert torch.equal(bn.running_mean, before)


def test_boundary_walk_stays_inside_the_region(tmp_path):
    ckpt = str(tmp_path / 'aff.pth')
    torch.save({'state_dict': MODELS.build(NET).state_dict()}, ckpt)
    rw = MODELS.build(dict(type='BoundaryRandomWalk', affinity_net=NET, checkpoint=ckpt,
                           beta=10, exp_times=6, radius=3))
    edge = torch.zeros(1, 8, 8)
    edge[0, :, 4] = 1.0  # a boundary column on the 8 x 8 grid of 32 x 32 images
    rw.net.edge = lambda x, flip=True: edge
    scores = torch.zeros(2, 32, 32)
    scores[0] = 0.25
    scores[1, 12:20, 2:8] = 1.0  # a seed in the left part
    out = rw(torch.zeros(3, 32, 32), scores)
    assert torch.equal(out[0], scores[0])  # the background is not walked
    assert out[1].max() == pytest.approx(1.0)  # global max normalisation
    label = out.argmax(0)
    assert (label[:, :12] == 1).all()  # spread over the whole left part
    assert (label[:, 24:] == 0).all()  # nothing crosses the boundary
    with pytest.raises(FileNotFoundError, match='train the AffinityNet first'):
        MODELS.build(dict(type='BoundaryRandomWalk', affinity_net=NET,
                          checkpoint=str(tmp_path / 'none.pth')))


def test_seed_labels_keep_the_first_labellings_foreground():
    """The authors' make_affinity_labels: fg labelling at 0.11, bg one at 0.15."""
    gen = MODELS.build(dict(type='PseudoLabelGenerator', bg_threshold=0.11,
                            confident_bg_threshold=0.15, combine='foreground'))
    cams = torch.tensor([[[0.5, 0.13, 0.05, 0.0]], [[0.1, 0.0, 0.0, 0.12]]])
    label = gen.label(torch.zeros(3, 1, 4), cams, torch.tensor([2, 5]))
    # 0.5 -> 2 in both; 0.13 -> 2 at 0.11 but background at 0.15: kept (foreground
    # wins); 0.05 -> background in both; 0.12 -> class 5 kept
    assert label.tolist() == [[2, 2, 0, 5]]
    # where the first says background and the second does not, the pixel is ignored
    gen.bg_threshold, gen.confident_bg_threshold = 0.15, 0.11
    assert gen.label(torch.zeros(3, 1, 4), cams, torch.tensor([2, 5])).tolist() == \
        [[2, 255, 0, 255]]
    with pytest.raises(ValueError, match='combine must be one of'):
        MODELS.build(dict(type='PseudoLabelGenerator', combine='union'))
