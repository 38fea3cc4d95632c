import torch
from mmpretrain.models import VisionTransformer
from mmseg.registry import MODELS

ARCH = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)


def deit_checkpoint(tmp_path, distilled):
    """A DeiT-layout checkpoint (mmpretrain keys) with a 4 x 4 grid at 32 px."""
    torch.manual_seed(0)
    vit = VisionTransformer(arch=ARCH, img_size=32, patch_size=8)
    vit.init_weights()
    state = {f'backbone.{k}': v for k, v in vit.state_dict().items()}
    state['backbone.cls_token'].normal_()
    if distilled:  # DistilledVisionTransformer: cls + dist tokens, 2 extra positions
        state['backbone.dist_token'] = torch.randn(1, 1, 32)
        state['backbone.pos_embed'] = torch.cat(
            [torch.randn(1, 1, 32), state['backbone.pos_embed']], 1)
    state['head.layers.head.weight'] = torch.randn(10, 32)
    path = tmp_path / 'deit.pth'
    torch.save(dict(state_dict=state), path)
    return path, state


def build(path, K, img_size=32):
    model = MODELS.build(
        dict(type='MultiClassTokenViT', num_class_tokens=K, arch=ARCH,
             img_size=img_size, patch_size=8, out_type='raw',
             init_cfg=dict(type='Pretrained', checkpoint=str(path),
                           prefix='backbone.')))
    model.init_weights()
    return model


def test_patch_tokens_only_from_distilled_checkpoint(tmp_path):
    path, state = deit_checkpoint(tmp_path, distilled=True)
    model = build(path, K=0)
    assert model.pos_embed.shape == (1, 16, 32)
    # the two extra positions (cls, dist) are dropped, the grid kept
    assert torch.equal(model.pos_embed, state['backbone.pos_embed'][:, 2:])
    assert torch.equal(model.layers[1].ffn.layers[1].weight,
                       state['backbone.layers.1.ffn.layers.1.weight'])
    patches, cls, hw = model.forward_tokens(torch.randn(2, 3, 32, 48))
    assert patches.shape == (2, 24, 32) and cls.shape == (2, 0, 32) and hw == (4, 6)


def test_class_tokens_start_from_the_cls_token(tmp_path):
    path, state = deit_checkpoint(tmp_path, distilled=False)
    model = build(path, K=3, img_size=48)  # 6 x 6 grid: resized on load
    assert model.pos_embed.shape == (1, 36, 32)
    for k in range(3):
        assert torch.equal(model.class_tokens[0, k], state['backbone.cls_token'][0, 0])
        assert torch.equal(model.class_pos_embed[0, k],
                           state['backbone.pos_embed'][0, 0])
    x = torch.randn(1, 3, 48, 48)
    patches, cls, hw = model.forward_tokens(x)
    assert patches.shape == (1, 36, 32) and cls.shape == (1, 3, 32)
    # identical class tokens see identical inputs: their outputs are equal
    assert torch.allclose(cls[0, 0], cls[0, 2], atol=1e-6)


def test_feature_maps_for_decode_heads():
    model = MODELS.build(
        dict(type='MultiClassTokenViT', num_class_tokens=2, arch=ARCH,
             img_size=32, patch_size=8, out_indices=(0, 1)))
    model.init_weights()
    outs = model(torch.randn(2, 3, 40, 32))
    assert [o.shape for o in outs] == [(2, 32, 5, 4)] * 2


def test_own_checkpoint_round_trip(tmp_path):
    model = MODELS.build(
        dict(type='MultiClassTokenViT', num_class_tokens=2, arch=ARCH,
             img_size=32, patch_size=8))
    model.init_weights()
    other = MODELS.build(
        dict(type='MultiClassTokenViT', num_class_tokens=2, arch=ARCH,
             img_size=32, patch_size=8))
    with torch.no_grad():
        model.class_tokens.normal_()  # not the initial value of `other`
    assert 'class_tokens' in model.state_dict()
    x = torch.randn(1, 3, 32, 32)
    model.eval(), other.eval()
    before = other.forward_tokens(x)
    torch.save(model.state_dict(), tmp_path / 'vit.pth')
    other.load_state_dict(torch.load(tmp_path / 'vit.pth'))
    for (k, a), b in zip(model.state_dict().items(), other.state_dict().values()):
        assert torch.equal(a, b), k
    ours, theirs = model.forward_tokens(x), other.forward_tokens(x)
    assert not torch.allclose(before[1], theirs[1])  # the weights were loaded
    torch.testing.assert_close(ours[0], theirs[0])
    torch.testing.assert_close(ours[1], theirs[1])


def test_conv_stem_patch_embedding(tmp_path):
    """mmpretrain's ViT builds the stem from patch_cfg; our ViT loads its weights."""
    torch.manual_seed(0)
    vit = VisionTransformer(arch=ARCH, img_size=32, patch_size=8,
                            patch_cfg=dict(conv_type='ConvStem'))
    vit.init_weights()
    stem = vit.patch_embed.projection
    convs = [m for m in stem.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.stride for c in convs] == [(2, 2)] * 3 + [(1, 1)]
    assert [c.out_channels for c in convs] == [8, 16, 32, 32]
    assert vit(torch.randn(2, 3, 32, 32))[0].shape == (2, 32)
    path = tmp_path / 'stem.pth'
    torch.save(dict(state_dict={f'backbone.{k}': v
                                for k, v in vit.state_dict().items()}), path)
    model = MODELS.build(
        dict(type='MultiClassTokenViT', arch=ARCH, img_size=48, patch_size=8,
             patch_cfg=dict(conv_type='ConvStem'), out_type='raw',
             init_cfg=dict(type='Pretrained', checkpoint=str(path),
                           prefix='backbone.')))
    model.init_weights()
    assert torch.equal(model.patch_embed.projection.layers[0].weight,
                       stem.layers[0].weight)
    patches, _, hw = model.forward_tokens(torch.randn(1, 3, 48, 40))
    assert hw == (6, 5) and patches.shape == (1, 30, 32)


def test_deep_conv_stem_has_two_convs_per_resolution():
    """DeepConvStem: (stride 2, stride 1) 3x3 convs per resolution, widths doubling
    up to the ViT's, then the 1x1; layer 6 * i + 5 is resolution i's output."""
    vit = VisionTransformer(arch=ARCH, img_size=32, patch_size=8,
                            patch_cfg=dict(conv_type='DeepConvStem'))
    stem = vit.patch_embed.projection
    convs = [m for m in stem.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.stride for c in convs] == [(2, 2), (1, 1)] * 3 + [(1, 1)]
    assert [c.out_channels for c in convs] == [8, 8, 16, 16, 32, 32, 32]
    x = torch.randn(2, 3, 32, 24)
    assert [tuple(stem.layers[:6 * i + 6](x).shape) for i in range(3)] == \
        [(2, 8, 16, 12), (2, 16, 8, 6), (2, 32, 4, 3)]
    # layer 6 i + 5 ends resolution i: a ReLU followed by the next resolution's conv
    assert all(isinstance(stem.layers[6 * i + 5], torch.nn.ReLU) for i in range(3))
    assert [stem.layers[6 * i + 6].stride for i in range(3)] == [(2, 2), (2, 2), (1, 1)]
    assert vit(torch.randn(2, 3, 32, 32))[0].shape == (2, 32)


def test_stem_feature_maps_come_first_for_deeplab():
    """stem_out_indices=(2, 5): the stem's stride-2 and stride-4 maps (after the
    in-place ReLUs: each equals the stem's first layers applied by hand), then the
    out_indices maps, which are unchanged; without a ConvStem it is refused."""
    import pytest
    cfg = dict(type='MultiClassTokenViT', arch=ARCH, img_size=32, patch_size=8,
               patch_cfg=dict(conv_type='ConvStem'), out_indices=(1, ))
    torch.manual_seed(0)
    plain = MODELS.build(cfg)
    plain.init_weights()
    model = MODELS.build(dict(cfg, stem_out_indices=(5, 2)))
    model.load_state_dict(plain.state_dict())
    model.eval(), plain.eval()
    x = torch.randn(2, 3, 32, 40)
    with torch.no_grad():
        outs = model(x)
        stem = model.patch_embed.projection.layers
        assert [o.shape for o in outs] == [(2, 8, 16, 20), (2, 16, 8, 10), (2, 32, 4, 5)]
        torch.testing.assert_close(outs[0], stem[:3](x))
        torch.testing.assert_close(outs[1], stem[:6](x))
        torch.testing.assert_close(outs[2], plain(x)[0])
        assert outs[0].min() >= 0
    with pytest.raises(ValueError, match='ConvStem'):
        MODELS.build(dict(type='MultiClassTokenViT', arch=ARCH, img_size=32,
                          patch_size=8, stem_out_indices=(2, )))
    with pytest.raises(ValueError, match='not a layer'):
        MODELS.build(dict(cfg, stem_out_indices=(12, )))
