"""SemFormer stage 2 on a tiny model: registry builds, the frozen CAAE, gradient
paths of every loss, the batched CAAE pass, class-token attention, CAM prediction."""
import logging

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from conftest import REPO, capture_log
from semformer.models import present_pairs
from semformer.models.backbones.mct_vit import class_token_attention

K, D, P, S = 4, 8, 8, 32  # classes, class dim, patch, image side
VIT = dict(embed_dims=32, num_layers=3, num_heads=2, feedforward_channels=64)
CAAE = dict(
    type='ClassAwareAutoEncoder', num_classes=K, class_dim=D,
    encoder=dict(type='MultiClassTokenViT', arch=VIT, img_size=S, patch_size=P,
                 out_type='raw'),
    decoder=dict(embed_dims=24, num_layers=1, num_heads=2))
LOSSES = ('cf', 'cb', 'as', 'ac', 'ss')
LOSS_TYPES = dict(cf='ClassForegroundLoss', cb='ClassBackgroundLoss',
                  ss='SemanticSimilarityLoss', ac='ActivationComplementationLoss',
                  **{'as': 'ActivationSuppressionLoss'})


def caae_checkpoint(tmp_path, **kwargs):
    torch.manual_seed(1)
    caae = MODELS.build({**CAAE, **kwargs})
    caae.init_weights()
    path = str(tmp_path / 'caae.pth')
    torch.save(dict(meta={}, state_dict=caae.state_dict()), path)
    return path, caae


def tiny_semformer_cfg(ckpt=None, weights=None, **kwargs):
    head = dict(type='SemFormerHead', in_channels=32, num_classes=K, class_dim=D,
                dropout_ratio=0.0)
    for name in LOSSES:
        if weights is not None:
            head[f'loss_{name}'] = dict(type=LOSS_TYPES[name],
                                        loss_weight=weights.get(name, 0.0))
    cfg = dict(
        type='SemFormer',
        backbone=dict(type='MultiClassTokenViT', num_class_tokens=K, arch=VIT,
                      img_size=S, patch_size=P, out_type='raw'),
        decode_head=head, caae=CAAE, caae_checkpoint=ckpt, caae_input_size=(24, 24),
        cra=dict(type='ClassRelativeAttention', num_layers=2))
    cfg.update(kwargs)
    return cfg


def tiny_semformer(ckpt=None, weights=None, **kwargs):
    torch.manual_seed(0)
    model = MODELS.build(tiny_semformer_cfg(ckpt, weights, **kwargs))
    model.init_weights()
    return model


def batch(labels, size=(S, S), padding=None):
    samples = []
    for i, y in enumerate(labels):
        s = SegDataSample(metainfo=dict(
            img_shape=size, ori_shape=size,
            padding_size=padding[i] if padding else (0, 0, 0, 0)))
        s.gt_image_labels = torch.tensor(y, dtype=torch.float32)
        samples.append(s)
    torch.manual_seed(2)
    return torch.randn(len(labels), 3, *size), samples


LABELS = [[1, 1, 0, 1], [1, 0, 1, 0], [1, 0, 0, 0]]  # two, one, no object classes


def test_frozen_caae_is_loaded_and_kept_out_of_the_model(tmp_path):
    path, caae = caae_checkpoint(tmp_path)
    model = tiny_semformer(path)
    for name, value in model.caae.state_dict().items():
        assert torch.equal(value, caae.state_dict()[name]), name
    assert not model.caae.with_decoder  # the decoder is never built in stage 2
    assert not any(k.startswith('caae') for k in model.state_dict())
    assert all(p.requires_grad for n, p in model.named_parameters()
               if not n.startswith('caae.'))
    assert not any(p.requires_grad for p in model.caae.parameters())
    model.train()
    assert model.training and not model.caae.training
    model.double()
    assert model.caae.semantics.weight.dtype == torch.float64


def test_caae_checkpoint_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='train stage 1 first'):
        tiny_semformer(str(tmp_path / 'missing.pth'))
    wrong, _ = caae_checkpoint(tmp_path, class_dim=D + 1)
    with pytest.raises(ValueError, match='does not fit the CAAE config.*semantics.weight'):
        tiny_semformer(wrong)
    other = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict={'backbone.x': torch.zeros(1)}), other)
    with pytest.raises(ValueError, match='missing keys'):
        tiny_semformer(other)


def test_config_mismatches_are_reported():
    with pytest.raises(ValueError, match='K=4, D=8; the head has K=4, D=9'):
        tiny_semformer(decode_head=dict(type='SemFormerHead', in_channels=32,
                                        num_classes=K, class_dim=D + 1))
    with pytest.raises(ValueError, match='3 class tokens'):
        tiny_semformer(backbone=dict(type='MultiClassTokenViT', num_class_tokens=3,
                                     arch=VIT, img_size=S, patch_size=P))


@pytest.mark.parametrize('loss', LOSSES)
def test_every_loss_reaches_the_backbone_and_never_the_caae(tmp_path, loss):
    path, _ = caae_checkpoint(tmp_path)
    model = tiny_semformer(path, weights={loss: 1.0}).train()
    x, samples = batch(LABELS)
    losses = model.loss(x, samples)
    assert list(losses) == [f'loss_{loss}']
    losses[f'loss_{loss}'].backward()
    grad = model.backbone.layers[0].attn.qkv.weight.grad
    assert grad is not None and grad.abs().sum() > 0
    assert (model.caae is None) == (loss in ('as', 'ac'))  # built iff a loss reads it
    if model.caae is not None:
        assert all(p.grad is None for p in model.caae.parameters())


@pytest.mark.parametrize('labels', [[[1, 0, 0, 0]] * 2, [[1, 1, 1, 1]] * 2,
                                    [[1, 1, 0, 0], [1, 0, 0, 0]]],
                         ids=['background-only', 'all-classes', 'one-class'])
def test_losses_are_finite_for_any_label_set(tmp_path, labels):
    path, _ = caae_checkpoint(tmp_path)
    model = tiny_semformer(path).train()
    x, samples = batch(labels)
    losses = model.loss(x, samples)
    assert set(losses) == {f'loss_{n}' for n in LOSSES}
    total = sum(losses.values())
    total.backward()
    assert torch.isfinite(total)
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    if labels[0] == [1, 0, 0, 0]:
        assert losses['loss_ac'].item() == 0  # nothing to complement


def test_batched_caae_pass_equals_per_pair_passes(tmp_path):
    path, _ = caae_checkpoint(tmp_path)
    model = tiny_semformer(path)
    x, samples = batch(LABELS)
    seen = []
    embed = model.caae.class_embeddings

    def spy(images):
        seen.append(images.detach().clone())
        return embed(images)

    model.caae.class_embeddings = spy
    model.loss(x, samples)
    assert len(seen) == 1  # one CAAE pass for all (image, class) pairs
    both = seen[0]
    # the present (image, class) pairs, background included: 3 + 2 + 1, the masked
    # images first, then their complements
    labels = torch.stack([s.gt_image_labels for s in samples])
    index, classes, _, _ = present_pairs(labels)
    assert index.tolist() == [0, 0, 0, 1, 1, 2] and classes.tolist() == [0, 1, 3, 0, 2, 0]
    assert both.shape == (12, 3, 24, 24)
    images = F.interpolate(x, (24, 24), mode='bilinear', align_corners=True)
    torch.testing.assert_close(both[:6] + both[6:], images[index], rtol=1e-5, atol=1e-5)
    assert not torch.allclose(both[0], both[1])  # each pair its own class's mask
    batched = embed(both)
    single = torch.cat([embed(img[None]) for img in both])
    torch.testing.assert_close(batched, single, rtol=1e-5, atol=1e-5)


def test_padding_is_excluded_from_the_complementation_loss(tmp_path):
    path, _ = caae_checkpoint(tmp_path)
    model = tiny_semformer(path)
    _, samples = batch(LABELS, padding=[(0, 8, 0, 16), (0, 0, 0, 0), (0, 0, 0, 0)])
    valid = model._valid_masks(samples, (S, S), (24, 24))
    # 24 un-padded of 32 columns, 16 of 32 rows -> 18 x 12 of 24 x 24
    assert valid[0, 0].sum() == 18 * 12 and valid[0, 0, :12, :18].all()
    assert valid[1].all()


def test_class_token_attention_equals_the_full_attention_rows():
    torch.manual_seed(0)
    model = tiny_semformer()
    x, _ = batch(LABELS)
    tokens, _ = model.backbone.embed(x)
    layer = model.backbone.layers[0]
    normed = layer.ln1(tokens)
    attn = layer.attn
    q, k, _ = attn.qkv(normed).view(len(x), -1, 3, 2, 16).permute(2, 0, 3, 1, 4)
    full = (q @ k.transpose(-2, -1) / 4).softmax(-1).mean(1)  # naive (B, N, N)
    rows = class_token_attention(attn, normed, K)
    assert rows.shape == (3, K, 16)
    torch.testing.assert_close(rows, full[:, :K, K:], rtol=1e-5, atol=1e-6)
    # reading the rows does not change the tokens
    with_attn = model.backbone.forward_tokens(x, attn_layers=2)
    plain = model.backbone.forward_tokens(x)
    assert len(with_attn[3]) == 2
    torch.testing.assert_close(with_attn[0], plain[0])
    torch.testing.assert_close(with_attn[1], plain[1])


def predict(model, x, samples, **test_cfg):
    model.test_cfg.update(test_cfg)
    with torch.no_grad():
        return model.eval().predict(x, samples)


def test_single_scale_prediction_is_the_normalised_relu_logits():
    model = tiny_semformer()
    x, samples = batch(LABELS)
    out = predict(model, x, samples, scales=(1.0, ), flip=False, cra=False)
    with torch.no_grad():
        logits = F.interpolate(F.relu(model._forward(x)), (S, S), mode='bilinear')
    for i, (sample, y) in enumerate(zip(out, LABELS)):
        cams = sample.pred_cams.data
        assert cams.shape == (K, S, S)
        expect = logits[i] / (logits[i].amax((1, 2), keepdim=True) + 1e-5)
        expect = expect * torch.tensor(y)[:, None, None]
        expect[0] = 0
        torch.testing.assert_close(cams, expect, rtol=1e-5, atol=1e-6)
        fg_max, fg_arg = cams[1:].max(0)
        seg = torch.where(fg_max > 0.2, fg_arg + 1, 0)
        assert torch.equal(sample.pred_sem_seg.data[0], seg)


def test_flip_makes_the_maps_mirror_symmetric():
    model = tiny_semformer()
    x, samples = batch(LABELS)
    a = predict(model, x, samples, scales=(0.5, 1.0, 1.5), flip=True)
    _, samples2 = batch(LABELS)
    b = predict(model, x.flip(-1), samples2, scales=(0.5, 1.0, 1.5), flip=True)
    for sa, sb in zip(a, b):
        torch.testing.assert_close(sa.pred_cams.data, sb.pred_cams.data.flip(-1),
                                   rtol=1e-4, atol=1e-5)
    # several scales differ from one scale
    _, samples3 = batch(LABELS)
    c = predict(model, x, samples3, scales=(1.0, ), flip=True)
    assert not torch.allclose(a[0].pred_cams.data, c[0].pred_cams.data)


def test_cra_and_plain_maps_and_label_restriction():
    model = tiny_semformer()
    x, samples = batch(LABELS)
    out = predict(model, x, samples, scales=(1.0, 2.0), flip=True, cra=True, keep_plain=True)
    for sample, y in zip(out, LABELS):
        cra, plain = sample.pred_cams.data, sample.pred_cams_plain.data
        assert any(y[1:]) != torch.allclose(cra, plain)  # all zero without objects
        for c in range(1, K):
            if y[c]:
                assert cra[c].max() == pytest.approx(1.0, abs=1e-3)
            else:
                assert cra[c].abs().max() == 0 and plain[c].abs().max() == 0


def test_padded_batch_is_predicted_image_by_image():
    model = tiny_semformer()
    x, samples = batch(LABELS[:2])
    x[1, :, 24:] = 0  # image 1 is 24 x 32, padded to 32 x 32
    samples[1].set_metainfo(dict(img_shape=(24, 32), ori_shape=(24, 32)))
    out = predict(model, x, samples, scales=(1.0, ), flip=True)
    _, alone = batch([LABELS[1]], size=(24, 32))
    ref = predict(model, x[1:, :, :24], alone, scales=(1.0, ), flip=True)
    assert out[1].pred_cams.data.shape == (K, 24, 32)
    torch.testing.assert_close(out[1].pred_cams.data, ref[0].pred_cams.data)


def test_works_as_a_plain_backbone_for_decode_heads():
    cfg = Config.fromfile(f'{REPO}/configs/semformer/semformer_deit-s_1xb8-26k_voc12aug-448x448.py')
    backbone = dict(cfg.model.backbone, init_cfg=None, out_type='featmap',
                    out_indices=(11, ), img_size=64)
    vit = MODELS.build(backbone)
    (feat, ) = vit(torch.randn(1, 3, 64, 96))
    assert feat.shape == (1, 384, 4, 6)


def test_paper_configuration_size():
    cfg = Config.fromfile(f'{REPO}/configs/semformer/semformer_deit-s_1xb8-26k_voc12aug-448x448.py')
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    n = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert n == pytest.approx(23.98e6, rel=1e-3)  # the paper reports 24.06 M
    assert model.caae.num_classes == 21 and model.caae.class_dim == 256


def test_cra_hand_computed():
    """K = 2, a 1 x 3 patch grid, U = 2 of 3 blocks."""
    from semformer.models import ClassRelativeAttention
    logits = torch.tensor([[[[1.0, -2.0, 3.0]], [[0.5, 2.0, 0.0]]]])  # (1, 2, 1, 3)
    attns = [torch.full((1, 2, 3), 9.0),  # the first block is not used
             torch.tensor([[[0.1, 0.2, 0.3], [0.3, 0.0, 0.1]]]),
             torch.tensor([[[0.1, 0.0, 0.3], [0.1, 0.2, 0.1]]])]
    # sums: class 0 (0.2, 0.2, 0.6) -> min-max (0, 0, 1); class 1 (0.4, 0.2, 0.2) -> (1, 0, 0)
    fused = ClassRelativeAttention(num_layers=2)(logits, attns)
    expect = torch.tensor([[[[0.0, 0.0, 3.0]], [[0.5, 0.0, 0.0]]]])
    torch.testing.assert_close(fused, expect, rtol=0, atol=1e-4)
    with pytest.raises(ValueError, match='attention of 4 blocks'):
        ClassRelativeAttention(num_layers=4)(logits, attns)


def test_bfloat16_prediction_is_close_to_float32():
    model = tiny_semformer()
    x, samples = batch(LABELS)
    ref = predict(model, x, samples, scales=(1.0, 1.5), flip=True, cra=True)
    _, samples2 = batch(LABELS)
    dtypes = []
    hook = model.backbone.layers[0].attn.qkv.register_forward_hook(
        lambda m, i, o: dtypes.append(o.dtype))
    out = predict(model, x, samples2, scales=(1.0, 1.5), flip=True, cra=True,
                  autocast_dtype='bfloat16')
    hook.remove()
    assert dtypes and set(dtypes) == {torch.bfloat16}  # the backbone ran in bfloat16
    diffs = []
    for a, b in zip(ref, out):
        assert b.pred_cams.data.dtype == torch.float32
        diffs.append((a.pred_cams.data - b.pred_cams.data).abs().max())
    assert 0 < max(diffs) < 0.05  # close, but not the float32 maps themselves


def test_bfloat16_training_step_keeps_losses_in_float32(tmp_path):
    from semformer.engine import CPUAutocastOptimWrapper
    path, _ = caae_checkpoint(tmp_path)
    model = tiny_semformer(path).train()
    wrapper = CPUAutocastOptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    x, samples = batch(LABELS)
    with wrapper.optim_context(model):
        assert model.backbone.layers[0].attn.qkv(torch.randn(1, 32)).dtype == torch.bfloat16
        losses = model.loss(x, samples)
    assert all(v.dtype == torch.float32 and torch.isfinite(v) for v in losses.values())
    before = model.decode_head.classifier.weight.clone()
    wrapper.update_params(sum(losses.values()))
    assert model.decode_head.classifier.weight.dtype == torch.float32
    assert not torch.equal(before, model.decode_head.classifier.weight)


def test_sdpa_attention_equals_the_explicit_softmax():
    """The blocks' fast path (F.scaled_dot_product_attention) against softmax(qk^T)v."""
    model = tiny_semformer().eval()
    x, _ = batch(LABELS)
    tokens, _ = model.backbone.embed(x)
    attn = model.backbone.layers[0].attn
    B, N, C = tokens.shape
    q, k, v = attn.qkv(tokens).view(B, N, 3, 2, C // 2).permute(2, 0, 3, 1, 4)
    explicit = ((q @ k.transpose(-2, -1)) * (C // 2)**-0.5).softmax(-1) @ v
    explicit = attn.proj(explicit.transpose(1, 2).reshape(B, N, C))
    torch.testing.assert_close(attn(tokens), explicit, rtol=1e-5, atol=1e-6)


def test_fast_cam_path_equals_the_straightforward_path(monkeypatch):
    """CAMs with SDPA blocks and K-row attention equal those of explicit attention
    with the full N x N matrices sliced afterwards (float32, 1e-4)."""
    from mmpretrain.models.utils.attention import scaled_dot_product_attention_pyimpl
    from semformer.models.backbones import mct_vit
    model = tiny_semformer()
    x, samples = batch(LABELS)
    fast = predict(model, x, samples, scales=(0.5, 1.0, 2.0), flip=True, cra=True)

    def full_attention_rows(attn, tokens, K):
        B, N, C = tokens.shape
        q, k, _ = attn.qkv(tokens).view(B, N, 3, attn.num_heads, -1).permute(2, 0, 3, 1, 4)
        full = (q @ k.transpose(-2, -1) * attn.head_dims**-0.5).softmax(-1)  # N x N
        return full.mean(1)[:, :K, K:]

    monkeypatch.setattr(mct_vit, 'class_token_attention', full_attention_rows)
    for layer in model.backbone.layers:
        layer.attn.scaled_dot_product_attention = scaled_dot_product_attention_pyimpl
    _, samples2 = batch(LABELS)
    slow = predict(model, x, samples2, scales=(0.5, 1.0, 2.0), flip=True, cra=True)
    for a, b in zip(fast, slow):
        torch.testing.assert_close(a.pred_cams.data, b.pred_cams.data, rtol=0, atol=1e-4)


@pytest.mark.parametrize('off', [(), ('ss', ), ('cf', 'cb'), ('as', ), ('ac', )])
def test_every_trainable_parameter_gets_a_gradient(tmp_path, off):
    """What DDP needs (without find_unused_parameters): a loss weight of 0, as in
    the ablations, leaves no trainable parameter without a gradient."""
    path, _ = caae_checkpoint(tmp_path)
    model = tiny_semformer(path, weights={n: 0.0 if n in off else 1.0 for n in LOSSES})
    x, samples = batch(LABELS)
    model.train()
    sum(model.loss(x, samples).values()).backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, missing


@pytest.mark.parametrize('recon', [1.0, 0.0])
def test_every_trainable_caae_parameter_gets_a_gradient(recon):
    caae = MODELS.build({**CAAE, 'loss_recon': dict(type='ReconstructionLoss',
                                                    loss_weight=recon)})
    caae.init_weights()
    x, samples = batch(LABELS)
    sum(caae.loss(x, samples).values()).backward()
    missing = [n for n, p in caae.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, missing
    assert caae.with_decoder == bool(recon)


@pytest.mark.parametrize('config,pretrained', [
    ('semformer/semformer_deit-s_1xb8-26k_voc12aug-448x448', 'backbone.'),
    ('semformer/caae_deit-b-d_8xb8-33k_voc12aug-224x224', 'encoder.')])
def test_voc_configs_use_the_authors_parameter_groups(config, pretrained):
    """Pretrained weights x1, pretrained others x2 without decay, new weights x10,
    new others x20 without decay; class tokens count as new (authors' groups)."""
    from mmengine.optim import build_optim_wrapper
    cfg = Config.fromfile(f'{REPO}/configs/{config}.py')
    model_cfg = cfg.model
    if model_cfg.type == 'SemFormer':
        model_cfg.backbone.update(arch=VIT, img_size=S, patch_size=P, init_cfg=None,
                                  num_class_tokens=K)
        model_cfg.decode_head.update(in_channels=32, num_classes=K, class_dim=D)
        model_cfg.caae.update(num_classes=K, class_dim=D)
        model_cfg.caae_checkpoint = None
    else:
        model_cfg.encoder.update(arch=VIT, img_size=S, patch_size=P, init_cfg=None)
        model_cfg.update(num_classes=K, class_dim=D,
                         decoder=dict(embed_dims=24, num_layers=1, num_heads=2))
    model = MODELS.build(model_cfg)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    lr, wd = cfg.optim_wrapper.optimizer.lr, cfg.optim_wrapper.optimizer.weight_decay
    group_of = {id(p): g for g in wrapper.optimizer.param_groups for p in g['params']}
    expected_mult = dict(pretrained_weight=(1, 1), pretrained_other=(2, 0),
                         new_weight=(10, 1), new_other=(20, 0))
    names = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert len(group_of) == len(names)  # every trainable parameter, once
    assert not any(id(p) in group_of for p in model.parameters() if not p.requires_grad)
    for name, param in names.items():
        new = not name.startswith(pretrained) or 'class_tokens' in name \
            or 'class_pos_embed' in name
        kind = 'weight' if 'weight' in name.rsplit('.', 1)[-1] else 'other'
        group = group_of[id(param)]
        assert group['name'] == f'{"new" if new else "pretrained"}_{kind}', name
        assert (group['lr'], group['weight_decay']) == pytest.approx(
            (lr * expected_mult[group['name']][0], wd * expected_mult[group['name']][1]))
    if model_cfg.type == 'SemFormer':
        assert group_of[id(model.backbone.class_tokens)]['name'] == 'new_other'
        assert group_of[id(model.backbone.pos_embed)]['name'] == 'pretrained_other'
        assert group_of[id(model.decode_head.class_embed_weight)]['name'] == 'new_weight'


def test_without_caae_losses_no_caae_is_needed():
    """With L_CF, L_CB and L'_SS off, training never builds or reads the CAAE."""
    model = tiny_semformer('never/read.pth', weights={'as': 0.075, 'ac': 1.0})
    x, samples = batch(LABELS)
    losses = model.train().loss(x, samples)
    assert set(losses) == {'loss_as', 'loss_ac'}
    assert model.caae is None  # never built
    assert 'caae' not in dict(model.named_children())


# ----------------------------------------------- the frozen CAAE as a submodule
def test_caae_is_a_frozen_named_submodule_that_stays_in_eval_mode(tmp_path):
    path, _ = caae_checkpoint(tmp_path)
    model = tiny_semformer(path)
    assert dict(model.named_children())['caae'] is model.caae
    names = [n for n, _ in model.named_parameters()]
    assert any(n.startswith('caae.encoder.') for n in names)
    assert not any(p.requires_grad for n, p in model.named_parameters()
                   if n.startswith('caae.'))
    for mode in (True, False, True):
        model.train(mode)
        assert model.training == mode and model.backbone.training == mode
        assert not any(m.training for m in model.caae.modules())
    model.train()
    model.caae.train()  # train() of the CAAE itself is the caller's business
    model.train()
    assert not model.caae.training


def test_device_and_dtype_moves_include_the_caae(tmp_path):
    path, _ = caae_checkpoint(tmp_path)
    model = tiny_semformer(path).to(torch.float64)
    assert model.caae.semantics.weight.dtype == torch.float64
    x, samples = batch(LABELS)
    losses = model.train().loss(x.double(), samples)
    assert all(torch.isfinite(v) for v in losses.values())
    assert '_apply' not in vars(MODELS.get('SemFormer'))  # torch's own moves


def test_state_dict_has_no_caae_entries_and_loads_without_them(tmp_path):
    from mmengine.runner.checkpoint import get_state_dict, load_checkpoint
    path, caae = caae_checkpoint(tmp_path)
    model = tiny_semformer(path)
    state = model.state_dict()
    assert state and not any(k.startswith('caae') for k in state)
    assert not any(k.startswith('caae') for k in state._metadata)
    assert not any(k.startswith('caae') for k in get_state_dict(model))  # the runner's
    # a fresh model (CAAE not loaded) takes the stage-2 weights, strictly
    other = tiny_semformer(None)
    stage1 = {k: v.clone() for k, v in other.caae.state_dict().items()}
    result = other.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    torch.testing.assert_close(other.backbone.class_tokens, model.backbone.class_tokens)
    for k, v in other.caae.state_dict().items():  # the CAAE is left as it was
        assert torch.equal(v, stage1[k]), k
    # mmengine's loader (the runner's load_from / resume) reports nothing either
    ckpt = str(tmp_path / 'stage2.pth')
    torch.save(dict(state_dict=get_state_dict(model)), ckpt)
    with capture_log() as records:
        load_checkpoint(other, ckpt, strict=False, logger='current')
    assert not [r for r in records if r.levelno >= logging.WARNING], \
        [r.getMessage() for r in records]
    # a state dict with CAAE entries loads them (they are not ignored)
    full = dict(state, **{f'caae.{k}': v for k, v in caae.state_dict().items()
                          if k in other.caae.state_dict()})
    other.load_state_dict(full, strict=True)
    assert torch.equal(other.caae.semantics.weight, caae.semantics.weight)


def test_deepcopy_keeps_the_state_dict_hooks(tmp_path):
    import copy
    path, _ = caae_checkpoint(tmp_path)
    model = copy.deepcopy(tiny_semformer(path))
    assert not any(k.startswith('caae') for k in model.state_dict())
    model.load_state_dict(model.state_dict(), strict=True)


def test_caae_is_not_initialised_by_init_weights(tmp_path):
    """Its encoder's init_cfg (e.g. ImageNet weights to download) is not used:
    the weights come from caae_checkpoint."""
    path, caae = caae_checkpoint(tmp_path)
    encoder = dict(CAAE['encoder'], init_cfg=dict(
        type='Pretrained', checkpoint=str(tmp_path / 'no_imagenet.pth')))
    model = tiny_semformer(path, caae=dict(CAAE, encoder=encoder))
    assert torch.equal(model.caae.semantics.weight, caae.semantics.weight)
    without = tiny_semformer(None, caae=dict(CAAE, encoder=encoder))  # no error either
    assert without.caae is not None


def test_caae_checkpoint_of_a_ddp_model_and_key_names(tmp_path):
    _, caae = caae_checkpoint(tmp_path)
    ddp = str(tmp_path / 'ddp.pth')
    torch.save(dict(state_dict={f'module.{k}': v for k, v in caae.state_dict().items()}),
               ddp)
    model = tiny_semformer(ddp)
    assert torch.equal(model.caae.primary.weight, caae.primary.weight)
    # a missing key is named
    state = {k: v for k, v in caae.state_dict().items() if k != 'primary.weight'}
    partial = str(tmp_path / 'partial.pth')
    torch.save(state, partial)
    with pytest.raises(ValueError, match=r"1 missing keys, e.g. \['primary.weight'\]"):
        tiny_semformer(partial)
    with pytest.raises(RuntimeError, match='has no CAAE'):
        tiny_semformer(None, weights={'as': 1.0}).load_caae(ddp)


def test_inference_only_model_without_caae(tmp_path):
    """caae=None: no CAAE held (its memory saved), predictions as with it,
    stage-2 checkpoints load, training with the CAAE losses is refused."""
    path, _ = caae_checkpoint(tmp_path)
    full = tiny_semformer(path)
    model = tiny_semformer('never/read.pth', caae=None)
    assert model.caae is None and not any('caae' in n for n, _ in model.named_parameters())
    result = model.load_state_dict(full.state_dict(), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    x, samples = batch(LABELS)
    a = predict(full, x, samples, scales=(1.0, ), flip=False)
    _, samples2 = batch(LABELS)
    b = predict(model, x, samples2, scales=(1.0, ), flip=False)
    torch.testing.assert_close(a[0].pred_cams.data, b[0].pred_cams.data)
    with pytest.raises(RuntimeError, match='caae=None'):
        model.train().loss(x, samples)
    # without the CAAE losses it trains
    only_maps = tiny_semformer(None, caae=None, weights={'as': 0.075, 'ac': 1.0})
    assert set(only_maps.train().loss(*batch(LABELS))) == {'loss_as', 'loss_ac'}


def semformer_training_configs():
    """The configs that train a SemFormer (found by content: names change)."""
    import glob
    found = []
    for path in sorted(glob.glob(f'{REPO}/configs/**/*semformer*.py', recursive=True)):
        if '_base_' in path:
            continue
        cfg = Config.fromfile(path)
        if cfg.get('model', {}).get('type') == 'SemFormer' and cfg.get('optim_wrapper'):
            found.append(path)
    return found


def test_frozen_caae_is_in_no_optimizer_group():
    """With each config's optimizer constructor (our group constructor, or
    mmengine's default with paramwise_cfg) the CAAE parameters are in no group."""
    from mmengine.optim import build_optim_wrapper
    configs = semformer_training_configs()
    assert len(configs) >= 2  # the VOC (paper) and synthetic trainings at least
    for path in configs:
        cfg = Config.fromfile(path)
        model_cfg = cfg.model
        model_cfg.backbone.update(arch=VIT, img_size=S, patch_size=P, init_cfg=None,
                                  num_class_tokens=K)
        model_cfg.decode_head.update(in_channels=32, num_classes=K, class_dim=D)
        model_cfg.caae.update(num_classes=K, class_dim=D)
        model_cfg.caae.encoder.update(arch=VIT, img_size=S, patch_size=P, init_cfg=None)
        model_cfg.caae_checkpoint = None
        model = MODELS.build(model_cfg)
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        in_groups = {id(p) for g in wrapper.optimizer.param_groups for p in g['params']}
        caae = {id(p) for p in model.caae.parameters()}
        assert caae and not caae & in_groups, path
        assert in_groups == {id(p) for p in model.parameters() if p.requires_grad}, path


def test_image_scores_are_the_cosines_that_l_ss_supervises(tmp_path):
    """pred_image_scores = cos(class embedding of each class token, S_c), computed
    by hand from the head's embeddings and the CAAE's semantics; none without the
    CAAE or when switched off."""
    path, _ = caae_checkpoint(tmp_path)
    model = tiny_semformer(path)
    x, samples = batch(LABELS)
    out = predict(model, x, samples, scales=(1.0, ), flip=False, cra=False)
    with torch.no_grad():
        patches, tokens, hw = model.extract_feat(x)
        emb = model.decode_head(patches, tokens, hw)[1]  # (B, K, D)
        sem = F.relu(model.caae.semantics.weight)  # (K, D)
    for i, sample in enumerate(out):
        expect = torch.stack([
            (emb[i, c] @ sem[c]) / (emb[i, c].norm() * sem[c].norm()).clamp_min(1e-8)
            for c in range(K)])
        torch.testing.assert_close(sample.pred_image_scores, expect, rtol=1e-5,
                                   atol=1e-6)
    x, samples = batch(LABELS)
    out = predict(model, x, samples, scales=(1.0, ), flip=False, image_scores=False)
    assert all('pred_image_scores' not in s for s in out)
    model = tiny_semformer(caae=None)
    x, samples = batch(LABELS)
    out = predict(model, x, samples, scales=(1.0, ), flip=False, cra=False)
    assert all('pred_image_scores' not in s for s in out)


def test_image_scores_load_the_caae_when_init_weights_was_not_called(tmp_path):
    """tools/test.py builds the model and loads its checkpoint without
    init_weights (the CAAE is not in the state dict): the scores load the CAAE
    from caae_checkpoint on first use, and a CAAE with no checkpoint (its
    construction-time weights) gives no scores."""
    path, _ = caae_checkpoint(tmp_path)
    reference = tiny_semformer(path)
    x, samples = batch(LABELS)
    expect = reference.image_scores(x)
    state = reference.state_dict()
    for ckpt in (path, None, str(tmp_path / 'missing.pth')):
        model = MODELS.build(tiny_semformer_cfg(ckpt))
        model.load_state_dict(state)
        assert not model.caae_loaded
        scores = model.image_scores(x)
        if ckpt != path:  # none, or a file that is not there (CAMs need no CAAE)
            assert scores is None and not model.caae_loaded
        else:
            assert model.caae_loaded
            torch.testing.assert_close(scores, expect)
