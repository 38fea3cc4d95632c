import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.structures import BaseDataElement
from mmseg.registry import MODELS

from conftest import REPO
from semformer.models import semantic_similarity_loss

K, D, P, S = 4, 8, 8, 32  # classes, class dim, patch, image side


def tiny_caae(**kwargs):
    cfg = dict(
        type='ClassAwareAutoEncoder',
        num_classes=K,
        class_dim=D,
        encoder=dict(
            type='MultiClassTokenViT',
            arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                      feedforward_channels=64),
            img_size=S,
            patch_size=P,
            out_type='raw'),
        decoder=dict(embed_dims=24, num_layers=1, num_heads=2))
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def samples(labels):
    out = []
    for y in labels:
        s = BaseDataElement()
        s.gt_image_labels = torch.tensor(y, dtype=torch.float32)
        out.append(s)
    return out


def test_tensor_shapes_and_signs():
    torch.manual_seed(0)
    model = tiny_caae()
    x = torch.randn(2, 3, S, 48)  # non-square input: 4 x 6 patches
    tokens, hw = model.primary_tokens(x)
    assert hw == (4, 6)
    assert tokens.shape == (2, 24, K * D)
    E, Sem = model.class_embeddings(x), model.class_semantics()
    assert E.shape == (2, K, D) and Sem.shape == (K, D)
    assert (E >= 0).all() and (Sem >= 0).all() and (tokens >= 0).all()
    assert torch.allclose(E, tokens.sum(1).view(2, K, D))
    assert model.reconstruct(tokens, hw).shape == x.shape
    sim = model.similarity(E)
    assert sim.shape == (2, K) and (sim >= 0).all() and (sim <= 1 + 1e-6).all()


@pytest.mark.parametrize('reduction,fn', [('mean', lambda t: t.mean(1)),
                                          ('max', lambda t: t.amax(1))])
def test_reductions(reduction, fn):
    model = tiny_caae(reduction=reduction)
    x = torch.randn(2, 3, S, S)
    tokens, _ = model.primary_tokens(x)
    assert torch.allclose(model.class_embeddings(x), fn(tokens).view(2, K, D))


def test_loss_ss_is_the_hand_computed_bce():
    sim = torch.tensor([[0.9, 0.2], [0.5, 0.7]])
    y = torch.tensor([[1., 0.], [1., 1.]])
    expected = -(math.log(0.9) + math.log(0.8) + math.log(0.5) + math.log(0.7)) / 4
    assert semantic_similarity_loss(sim, y).item() == pytest.approx(expected, rel=1e-6)


def test_loss_ss_is_finite_at_zero_and_one():
    sim = torch.tensor([[0.0, 1.0, 1.0, 0.0]], requires_grad=True)
    y = torch.tensor([[1., 0., 1., 0.]])
    loss = semantic_similarity_loss(sim, y)
    loss.backward()
    # the two wrong extremes cost -log(1e-4) each, the right ones ~1e-4
    assert loss.item() == pytest.approx(
        (2 * -math.log(1e-4) + 2 * -math.log(1 - 1e-4)) / 4, rel=1e-5)
    assert torch.isfinite(sim.grad).all()


def test_absent_class_semantics_get_no_gradient():
    torch.manual_seed(0)
    model = tiny_caae(decoder=None)
    with torch.no_grad():
        model.semantics.weight.abs_()  # every S row active
    y = [[1, 1, 0, 0]]
    losses = model.loss(torch.randn(1, 3, S, S), samples(y))
    assert set(losses) == {'loss_ss'}
    losses['loss_ss'].backward()
    grad = model.semantics.weight.grad
    assert grad[:2].abs().sum(1).gt(0).all()  # present: background and class 1
    assert (grad[2:] == 0).all()  # absent: 2 and 3


def test_class_embeddings_pass_gradients_to_the_input():
    model = tiny_caae()
    x = torch.randn(1, 3, S, S, requires_grad=True)
    model.class_embeddings(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_reconstruction_loss_decreases_on_a_fixed_batch():
    torch.manual_seed(0)
    model = tiny_caae()
    x = F.interpolate(torch.randn(4, 3, 4, 4), size=(S, S), mode='bilinear')
    data = samples([[1, 1, 0, 0], [1, 0, 1, 1], [1, 0, 0, 1], [1, 1, 1, 0]])
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    history = []
    for _ in range(40):
        losses = model.loss(x, data)
        history.append(losses['loss_recon'].item())
        opt.zero_grad()
        sum(losses.values()).backward()
        opt.step()
    assert history[-1] < 0.5 * history[0], history


def test_predict_sets_scores():
    model = tiny_caae().eval()
    x = torch.randn(2, 3, S, S)
    out = model(x, samples([[1, 1, 0, 0], [1, 0, 1, 0]]), mode='predict')
    scores = torch.stack([o.pred_image_scores for o in out])
    expect = F.cosine_similarity(model.class_embeddings(x), model.class_semantics()[None],
                                 dim=-1)
    assert scores.shape == (2, K)
    torch.testing.assert_close(scores, expect)
    # by hand: S_c = e_c; image 0's E_c = 2 e_c (score 1), image 1's E_c = e_c + e_{c+K}
    # (score 1 / sqrt(2)), except class 0, E_0 = e_{K} (orthogonal, score 0)
    with torch.no_grad():
        model.semantics.weight.zero_()
        model.semantics.weight[:, :K] = torch.eye(K)
    E = torch.zeros(2, K, D)
    E[0, :, :K] = 2 * torch.eye(K)
    E[1, :, :K] = torch.eye(K)
    E[1, :, K:2 * K] = torch.eye(K)
    E[1, 0, 0] = 0
    model.class_embeddings = lambda inputs: E
    out = model(x, samples([[1, 1, 0, 0], [1, 0, 1, 0]]), mode='predict')
    half = 1 / math.sqrt(2)
    torch.testing.assert_close(
        torch.stack([o.pred_image_scores for o in out]),
        torch.tensor([[1.0] * K, [0.0] + [half] * (K - 1)]))


def test_encoder_must_have_no_class_tokens():
    with pytest.raises(ValueError, match='num_class_tokens must be 0'):
        MODELS.build(
            dict(type='ClassAwareAutoEncoder', num_classes=K,
                 encoder=dict(type='MultiClassTokenViT', num_class_tokens=2,
                              arch='deit-tiny', out_type='raw')))


def test_paper_config_builds_with_deit_b():
    cfg = Config.fromfile(f'{REPO}/configs/semformer/caae_deit-b-d_8xb8-33k_voc12aug-224x224.py')
    model = MODELS.build(cfg.model)
    n_enc = sum(p.numel() for p in model.encoder.parameters())
    assert model.encoder.embed_dims == 768 and len(model.encoder.layers) == 12
    # DeiT-B without cls / dist tokens and head, by hand: 12 blocks of 7,087,872
    # (qkv 1,771,776, proj 590,592, MLP 4,722,432, 2 norms 3,072), the 16 x 16 patch
    # projection 590,592, 196 position embeddings 150,528, the final norm 1,536
    assert n_enc == 12 * 7_087_872 + 590_592 + 150_528 + 1_536
    assert len(model.decoder_layers) == 8 and model.primary.out_features == 21 * 256


def test_image_label_classifier_loss_and_scores():
    model = MODELS.build(
        dict(type='ImageLabelClassifier', num_classes=K, in_channels=32,
             backbone=dict(type='mmpretrain.VisionTransformer',
                           arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                                     feedforward_channels=64),
                           img_size=S, patch_size=P, out_type='cls_token')))
    model.init_weights()
    x = torch.randn(2, 3, S, S)
    data = samples([[1, 1, 0, 0], [1, 0, 1, 1]])
    logits = model(x)
    loss = model(x, data, mode='loss')['loss_cls']
    expected = F.binary_cross_entropy_with_logits(
        logits, torch.tensor([[1., 0, 0], [0, 1, 1]]))
    assert torch.allclose(loss, expected)
    out = model(x, data, mode='predict')
    assert out[0].pred_image_scores[0] == 1  # background
    assert torch.allclose(out[1].pred_image_scores[1:], logits[1].sigmoid())


def test_image_label_classifier_cross_entropy_for_single_labels():
    model = MODELS.build(
        dict(type='ImageLabelClassifier', num_classes=K, in_channels=32, loss='ce',
             backbone=dict(type='mmpretrain.VisionTransformer',
                           arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                                     feedforward_channels=64),
                           img_size=S, patch_size=P, out_type='avg_featmap')))
    model.init_weights()
    x = torch.randn(2, 3, S, S)
    data = samples([[1, 0, 1, 0], [1, 0, 0, 1]])
    logits = model(x)
    loss = model(x, data, mode='loss')['loss_cls']
    assert torch.allclose(loss, F.cross_entropy(logits, torch.tensor([1, 2])))
    out = model(x, data, mode='predict')
    assert torch.allclose(out[0].pred_image_scores[1:], logits[0].softmax(0))
    with pytest.raises(ValueError, match='exactly one foreground class'):
        model(x, samples([[1, 1, 1, 0], [1, 0, 0, 1]]), mode='loss')
    with pytest.raises(ValueError, match="loss must be 'bce' or 'ce'"):
        MODELS.build(dict(type='ImageLabelClassifier', num_classes=K, in_channels=32,
                          loss='focal', backbone=dict(type='mmpretrain.VisionTransformer',
                                                      arch='deit-tiny')))
