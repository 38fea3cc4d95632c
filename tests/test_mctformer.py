"""MCTformer (V1, V2) and the plain CAM baseline on tiny models: heads and losses
against hand computations, the attention maps against explicit full attention,
predictions, config builds and a few training steps."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from conftest import REPO

K, P, S = 4, 8, 32  # classes (background included), patch, image side
VIT = dict(embed_dims=32, num_layers=3, num_heads=2, feedforward_channels=64)
LABELS = [[1, 1, 0, 1], [1, 0, 1, 0]]


def backbone(tokens):
    return dict(type='MultiClassTokenViT', num_class_tokens=tokens, arch=VIT,
                img_size=S, patch_size=P, out_type='raw')


def tiny_mctformer(patch_cam=True, **test_cfg):
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='MCTformer', backbone=backbone(K - 1),
        decode_head=dict(type='MCTformerHead', in_channels=32, num_classes=K,
                         patch_cam=patch_cam),
        test_cfg=dict(scales=(1.0, ), flip=False, keep_plain=True, **test_cfg)))
    model.init_weights()
    return model.eval()


def tiny_cam(pool='cls_token'):
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='CAMSegmentor', backbone=backbone(1 if pool == 'cls_token' else 0),
        decode_head=dict(type='CAMHead', in_channels=32, num_classes=K, pool=pool),
        test_cfg=dict(scales=(1.0, 2.0), flip=True)))
    model.init_weights()
    return model.eval()


def batch(labels=LABELS):
    samples = []
    for y in labels:
        s = SegDataSample(metainfo=dict(img_shape=(S, S), ori_shape=(S, S),
                                        padding_size=(0, 0, 0, 0)))
        s.gt_image_labels = torch.tensor(y, dtype=torch.float32)
        samples.append(s)
    torch.manual_seed(2)
    return torch.randn(len(labels), 3, S, S), samples


def explicit_attention(vit, x):
    """Full attention of every block, averaged over heads: list of (B, N, N)."""
    tokens, _ = vit.embed(x)
    maps = []
    for layer in vit.layers:
        normed = layer.ln1(tokens)
        B, N, C = normed.shape
        attn = layer.attn
        q, k, _ = attn.qkv(normed).view(B, N, 3, attn.num_heads, -1).permute(2, 0, 3, 1, 4)
        maps.append((q @ k.transpose(-2, -1) * attn.head_dims**-0.5).softmax(-1).mean(1))
        tokens = layer(tokens)
    return maps


def test_mctformer_head_shapes_and_losses_by_hand():
    head = MODELS.build(dict(type='MCTformerHead', in_channels=5, num_classes=K))
    patches, tokens = torch.randn(2, 6, 5, requires_grad=True), torch.randn(2, K - 1, 5)
    tokens.requires_grad_(True)
    maps, logits = head(patches, tokens, (2, 3))
    assert maps.shape == (2, K, 2, 3) and logits.shape == (2, K - 1)
    assert torch.all(maps[:, 0] == 0)
    assert torch.allclose(logits, tokens.mean(-1))
    labels = torch.tensor(LABELS, dtype=torch.float32)
    losses = head.loss_by_feat(maps, logits, labels)

    def soft_margin(z, y):  # the multi-label soft-margin loss, written out
        return -(y * torch.log(torch.sigmoid(z))
                 + (1 - y) * torch.log(1 - torch.sigmoid(z))).mean()

    assert torch.allclose(losses['loss_token'], soft_margin(logits, labels[:, 1:]))
    assert torch.allclose(losses['loss_patch'],
                          soft_margin(maps[:, 1:].mean((2, 3)), labels[:, 1:]))
    sum(losses.values()).backward()
    assert tokens.grad.abs().sum() > 0 and patches.grad.abs().sum() > 0
    assert head.conv.weight.grad.abs().sum() > 0

    v1 = MODELS.build(dict(type='MCTformerHead', in_channels=5, num_classes=K,
                           patch_cam=False))
    maps, logits = v1(patches, tokens, (2, 3))
    assert maps is None and set(v1.loss_by_feat(maps, logits, labels)) == {'loss_token'}


@pytest.mark.parametrize('patch_cam', [True, False])
def test_mctformer_maps_equal_explicit_attention(patch_cam):
    kind = 'fused' if patch_cam else 'mct'
    model = tiny_mctformer(patch_cam, attn_layers=2, attention_type=kind)
    x, _ = batch()
    with torch.no_grad():
        maps = model.forward_maps(x)
        full = explicit_attention(model.backbone, x)
        patches, tokens, hw = model.backbone.forward_tokens(x)
        head_maps, _ = model.decode_head(patches, tokens, hw)
    C, B, hw_ = K - 1, x.shape[0], S // P
    class_att = (full[1] + full[2])[:, :C, C:].reshape(B, C, hw_, hw_)
    cams = class_att if not patch_cam else class_att * F.relu(head_maps[:, 1:])
    patch_att = (full[0] + full[1] + full[2])[:, C:, C:]
    refined = torch.stack([patch_att[b] @ cams[b].reshape(C, -1).T for b in range(B)])
    refined = refined.transpose(1, 2).reshape(B, C, hw_, hw_)
    assert torch.all(maps['refined'][:, 0] == 0) and torch.all(maps['plain'][:, 0] == 0)
    torch.testing.assert_close(maps['refined'][:, 1:], refined, rtol=1e-4, atol=1e-5)
    plain = F.relu(head_maps[:, 1:]) if patch_cam else class_att
    torch.testing.assert_close(maps['plain'][:, 1:], plain, rtol=1e-4, atol=1e-5)

    model.test_cfg['patch_attn_refine'] = False
    with torch.no_grad():
        torch.testing.assert_close(model.forward_maps(x)['refined'][:, 1:], cams,
                                   rtol=1e-4, atol=1e-5)


def test_mctformer_rejects_settings_that_do_not_fit():
    with pytest.raises(ValueError, match='needs the V2 patch CAM'):
        tiny_mctformer(patch_cam=False, attention_type='fused')
    with pytest.raises(ValueError, match='attention_type must be one of'):
        tiny_mctformer(attention_type='cra')
    with pytest.raises(ValueError, match=r'attn_layers must be in 1..3, not 4'):
        tiny_mctformer(attn_layers=4)
    with pytest.raises(ValueError, match='backbone has 4 class tokens'):
        MODELS.build(dict(
            type='MCTformer', backbone=backbone(K),
            decode_head=dict(type='MCTformerHead', in_channels=32, num_classes=K)))


def test_mctformer_predicts_normalised_cams_inside_the_labels():
    model = tiny_mctformer()
    x, samples = batch()
    with torch.no_grad():
        out = model.predict(x, samples)
    for sample, y in zip(out, LABELS):
        for field in ('pred_cams', 'pred_cams_plain'):
            cams = sample.get(field).data
            assert cams.shape == (K, S, S)
            for c in range(1, K):
                peak = cams[c].max().item()
                assert (peak > 0.99) if y[c] else (peak == 0), (field, c)
        assert sample.pred_sem_seg.data.shape == (1, S, S)


def test_cam_head_is_the_classifier_applied_to_patch_tokens():
    head = MODELS.build(dict(type='CAMHead', in_channels=5, num_classes=K))
    patches, cls = torch.randn(2, 6, 5), torch.randn(2, 1, 5)
    maps, logits = head(patches, cls, (2, 3))
    W, b = head.classifier.weight, head.classifier.bias
    torch.testing.assert_close(maps[:, 1:].flatten(2).transpose(1, 2), patches @ W.T + b)
    torch.testing.assert_close(logits, cls[:, 0] @ W.T + b)
    assert torch.all(maps[:, 0] == 0)
    avg = MODELS.build(dict(type='CAMHead', in_channels=5, num_classes=K, pool='avg'))
    maps, logits = avg(patches, cls[:, :0], (2, 3))
    torch.testing.assert_close(logits, maps[:, 1:].mean((2, 3)))  # CAM's identity
    assert avg.num_class_tokens == 0
    with pytest.raises(ValueError, match='pool must be'):
        MODELS.build(dict(type='CAMHead', in_channels=5, num_classes=K, pool='max'))


@pytest.mark.parametrize('pool', ['cls_token', 'avg'])
def test_cam_baseline_predicts_relu_maps_of_every_scale_and_flip(pool):
    model = tiny_cam(pool)
    x, samples = batch()
    with torch.no_grad():
        out = model.predict(x, samples)
        expected = 0
        for size in (S, 2 * S):
            xs = F.interpolate(x, (size, size), mode='bilinear', align_corners=False)
            for flip in (False, True):
                m = model._forward(xs.flip(-1) if flip else xs).relu()
                m = F.interpolate(m, (S, S), mode='bilinear', align_corners=False)
                expected = expected + (m.flip(-1) if flip else m)
    expected[:, 0] = 0
    expected = expected / (expected.amax((2, 3), keepdim=True) + 1e-5)
    expected = expected * (torch.tensor(LABELS)[..., None, None] > 0)
    for j, sample in enumerate(out):
        torch.testing.assert_close(sample.pred_cams.data, expected[j], rtol=1e-4, atol=1e-5)
        assert 'pred_cams_plain' not in sample  # no refinement


def test_grid_shifts_stitch_maps_of_moved_images_by_hand():
    """shift-and-stitch: cell (2i + a, 2j + b) holds token (i, j) of the image moved by
    (d_a, d_b), d = (-2, 2) for P = 8, border pixels repeated; the stub network's
    map of a token is the mean of its patch."""
    model = tiny_cam()
    model.forward_maps = lambda x: dict(plain=F.avg_pool2d(x, P))
    x = torch.randn(2, 3, 16, 24)
    out = model.shifted_maps(x, 2)['plain']
    assert out.shape == (2, 3, 4, 6)
    for i in range(2):
        for j in range(3):
            for a, da in enumerate((-2, 2)):
                for b, db in enumerate((-2, 2)):
                    rows = [min(max(P * i + da + r, 0), 15) for r in range(P)]
                    cols = [min(max(P * j + db + c, 0), 23) for c in range(P)]
                    patch = x[:, :, rows][:, :, :, cols]
                    torch.testing.assert_close(out[:, :, 2 * i + a, 2 * j + b],
                                               patch.mean((2, 3)))
    # cell centres: the stitched map of a horizontal ramp is the ramp at 4 px spacing
    ramp = torch.arange(32.).expand(1, 3, 32, 32)
    centres = model.shifted_maps(ramp, 2)['plain'][0, 0, 3]
    torch.testing.assert_close(centres[1:-1], torch.arange(4, 28, 4.) + 1.5)
    assert torch.equal(model.shifted_maps(x, 1)['plain'], F.avg_pool2d(x, P))
    # symmetric offsets: the stitched map of the mirrored image is the mirrored map
    torch.testing.assert_close(model.shifted_maps(x.flip(-1), 2)['plain'].flip(-1), out)
    for bad in (3, 8, 0):  # 8: cells of 1 px, odd P - P / s
        with pytest.raises(ValueError, match='grid_shifts must divide'):
            model.shifted_maps(x, bad)
    with pytest.raises(ValueError, match='grid_shifts must divide'):
        tiny_mctformer(grid_shifts=3)


def test_grid_shifts_in_prediction():
    """predict with grid_shifts=2 resizes the stitched 8 x 8 maps of the real network."""
    model = tiny_cam()
    model.test_cfg.update(scales=(1.0, ), flip=False, grid_shifts=2)
    x, samples = batch()
    with torch.no_grad():
        out = model.predict(x, samples)
        stitched = model.shifted_maps(x, 2)['plain']
        single = model.forward_maps(x)['plain']
    assert stitched.shape[-2:] == (8, 8) and single.shape[-2:] == (4, 4)
    expected = F.interpolate(stitched, (S, S), mode='bilinear', align_corners=False)
    expected[:, 0] = 0
    expected = expected / (expected.amax((2, 3), keepdim=True) + 1e-5)
    expected = expected * (torch.tensor(LABELS)[..., None, None] > 0)
    for j, sample in enumerate(out):
        torch.testing.assert_close(sample.pred_cams.data, expected[j], rtol=1e-4, atol=1e-5)
    # the (0, 0)-offset cells are not the plain grid: every pass sees a moved image
    assert not torch.allclose(stitched[..., ::2, ::2], single)
    # a method with refined maps, with flip and two scales: both maps on the finer grid
    mct = tiny_mctformer(grid_shifts=2)
    mct.test_cfg.update(flip=True, scales=(1.0, 1.5))
    with torch.no_grad():
        stitched = mct.shifted_maps(x, 2)
        out = mct.predict(x, batch()[1])
    assert {k: tuple(v.shape) for k, v in stitched.items()} == dict(
        plain=(2, K, 8, 8), refined=(2, K, 8, 8))
    for sample in out:
        assert sample.pred_cams.data.shape == sample.pred_cams_plain.data.shape == (K, S, S)


@pytest.mark.parametrize('name', ['mctformer/mctformer-v2_vit-t8_1xb16-500_synthetic-64x64',
                                  'mctformer/mctformer-v1_vit-t8_1xb16-500_synthetic-64x64',
                                  'cam/cam_vit-t8_1xb16-500_synthetic-64x64'])
def test_synthetic_configs_build_and_learn(name):
    cfg = Config.fromfile(osp.join(REPO, 'configs', name + '.py'))
    cfg.model.backbone.init_cfg = None
    cfg.model.backbone.arch = dict(VIT, num_layers=6)  # the configs' depth
    cfg.model.decode_head.in_channels = 32
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    x, samples = batch([[1, 1, 0, 0, 0, 0, 0], [1, 0, 0, 1, 1, 0, 0]])
    optim = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    first = None
    for _ in range(25):
        loss = sum(model.loss(x, samples).values())
        first = loss.item() if first is None else first
        optim.zero_grad()
        loss.backward()
        optim.step()
    assert loss.item() < first * 0.95
    model.eval()
    with torch.no_grad():
        out = model.predict(x, samples)
    assert out[0].pred_cams.data.shape == (7, S, S)
    if name.startswith('mctformer'):
        assert 'pred_cams_plain' in out[0]


def test_mctformer_logits_are_channel_means_of_the_raw_last_block():
    """The authors' class-token logits: the channel mean of the last block's class
    tokens, with no final LayerNorm (whose output would have a near-constant mean)."""
    model = tiny_mctformer(patch_cam=True)
    assert not model.backbone.final_norm
    x, _ = batch()
    with torch.no_grad():
        tokens, _ = model.backbone.embed(x)
        for layer in model.backbone.layers:
            tokens = layer(tokens)
        maps, logits = model.decode_head(*model.extract_feat(x))
    C = K - 1
    torch.testing.assert_close(logits, tokens[:, :C].mean(-1))
    raw = tokens[:, C:].transpose(1, 2).reshape(2, -1, S // P, S // P)
    torch.testing.assert_close(maps[:, 1:], model.decode_head.conv(raw))
    # the channel means carry signal: they differ between class tokens
    assert logits.std() > 1e-3
    explicit = MODELS.build(dict(
        type='MCTformer', backbone=dict(backbone(K - 1), final_norm=True),
        decode_head=dict(type='MCTformerHead', in_channels=32, num_classes=K)))
    assert explicit.backbone.final_norm  # an explicit setting is kept


def test_minmax_normalisation_by_hand():
    model = tiny_mctformer()
    assert model.test_cfg['normalise'] == 'minmax'
    sums = torch.tensor([[[[5., 5.], [5., 5.]], [[1., 2.], [3., 5.]],
                          [[2., 2.], [2., 6.]], [[0.5, 1.], [1., 1.]]]])
    out = model.normalise_cams(sums, torch.tensor([[1., 1., 1., 0.]]))
    expected = torch.tensor([[[[0., 0.], [0., 0.]], [[0., .25], [.5, 1.]],
                              [[0., 0.], [0., 1.]], [[0., 0.], [0., 0.]]]])
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=0)
    model.test_cfg['normalise'] = 'max'
    out = model.normalise_cams(sums, torch.tensor([[1., 1., 1., 0.]]))
    torch.testing.assert_close(out[0, 1], sums[0, 1] / (5 + 1e-5))
    with pytest.raises(ValueError, match='test_cfg.normalise must be one of'):
        tiny_mctformer(normalise='sum')


def test_mctformer_predictions_span_zero_to_one():
    model = tiny_mctformer()
    x, samples = batch()
    with torch.no_grad():
        out = model.predict(x, samples)
    for sample, y in zip(out, LABELS):
        for c in range(1, K):
            if y[c]:
                cams = sample.pred_cams.data[c]
                assert cams.min() < 1e-6 and cams.max() > 0.99


def test_mctformer_voc_configs_follow_the_authors(voc_root):
    v2 = Config.fromfile(osp.join(REPO, 'configs/mctformer/mctformer-v2_deit-s_8xb8-10k_voc12aug-224x224.py'))
    v1 = Config.fromfile(osp.join(REPO, 'configs/mctformer/mctformer-v1_deit-s_8xb8-10k_voc12aug-224x224.py'))
    for cfg in (v1, v2):
        assert cfg.model.test_cfg.attn_layers == 3
        assert cfg.model.backbone.drop_path_rate == 0.1
        assert cfg.model.backbone.final_norm is False
    # the timm-style train transform runs on a VOC image and gives a 224 crop
    from mmengine.dataset import Compose
    from mmseg.utils import register_all_modules
    register_all_modules()
    pipeline = Compose(v2.train_pipeline)
    names = [t['type'] for t in v2.train_pipeline]
    assert names[1:5] == ['mmpretrain.RandomResizedCrop', 'RandomFlip', 'RandAugment',
                          'mmpretrain.RandomErasing']
    assert v2.train_pipeline[3]['_scope_'] == 'mmpretrain'
    img = osp.join(voc_root, 'JPEGImages', '2007_000032.jpg')
    out = pipeline(dict(img_path=img, gt_image_labels=torch.zeros(21).numpy()))
    assert out['inputs'].shape == (3, 224, 224)


@pytest.mark.parametrize('kind', ['mctformer', 'cam'])
def test_image_scores_are_the_sigmoid_of_the_class_logits(kind):
    """pred_image_scores (K,) = [1, sigmoid(foreground logits)] of one forward at
    the image's own size (MCTformer: the class tokens' means; CAM: the classifier
    on the class token), whatever the CAM scales."""
    model = tiny_mctformer() if kind == 'mctformer' else tiny_cam()
    x, samples = batch()
    with torch.no_grad():
        out = model.predict(x, samples)
        logits = model.decode_head(*model.extract_feat(x))[1]
    assert logits.shape == (len(LABELS), K - 1)
    for i, sample in enumerate(out):
        expect = torch.cat([torch.ones(1), torch.sigmoid(logits[i])])
        torch.testing.assert_close(sample.pred_image_scores, expect)
