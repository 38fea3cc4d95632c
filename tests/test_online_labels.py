"""tools/analysis/online_labels.py: what a single-stage model teaches its head."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import REPO, load_tool

tool = load_tool('tools/analysis/online_labels.py')
AFA = osp.join(REPO, 'configs/afa/afa_vit-t8_1xb16-500_synthetic-64x64.py')


def test_confusion_and_summary_hand_case():
    gt = np.array([0, 0, 1, 1, 255, 1])
    pred = np.array([0, 1, 1, 255, 0, 1])
    conf = tool.confusion(gt, pred, 2)
    # rows gt 0 / 1, columns pred 0, 1, ignored; the gt-255 pixel is left out
    assert conf.tolist() == [[1, 1, 0], [0, 2, 1]]
    s = tool.summarise(conf)
    assert s['labelled'] == pytest.approx(400 / 5)
    # class 0: tp 1, fp 0, fn 1 -> 1 / 2; class 1: tp 2, fp 1 -> 2 / 3
    assert s['IoU'] == pytest.approx([50.0, 200 / 3])
    assert s['rows'][1] == pytest.approx([0.0, 200 / 3, 100 / 3])
    with pytest.raises(ValueError, match='outside'):
        tool.confusion(np.array([0]), np.array([7]), 2)
    with pytest.raises(ValueError, match='outside'):  # K itself is not 'ignored'
        tool.confusion(np.array([0]), np.array([2]), 2)


def _afa(cfg_options=None):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    cfg = Config.fromfile(AFA)
    init_default_scope('mmseg')
    torch.manual_seed(0)
    return cfg, MODELS.build(cfg.model).eval()


def test_the_labels_are_those_afa_trains_its_head_on(synthetic_root):
    """Before ``aff_label_iter`` AFA's head learns from ``seg_label`` =
    ``par_pseudo_labels(...)`` inside ``AFA.loss``; the tool's labels of the same batch
    (same weights, same mode) are identical, ignored pixels included."""
    cfg, model = _afa()
    model.train_cfg.update(aff_label_iter=10**6, warmup_iters=-1)
    cfg.val_dataloader.dataset.data_root = synthetic_root
    data = model.data_preprocessor(next(iter(tool.build_loader(cfg, 'train', 3))), False)
    inputs, samples = data['inputs'], data['data_samples']
    captured = {}
    seg_loss = model.seg_loss

    def capture(logits, label):
        captured['label'] = label
        return seg_loss(logits, label)
    model.seg_loss = capture
    with torch.no_grad():
        model.loss(inputs, samples)
    ours = tool.pseudo_labels(model, inputs, samples)
    assert torch.equal(ours, captured['label'])
    assert (ours == 255).any() and (ours == 0).any() and ((ours > 0) & (ours < 255)).any()


def test_cli_counts_every_ground_truth_pixel(synthetic_root, tmp_path):
    _, model = _afa()
    ckpt = tmp_path / 'afa.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    out = tmp_path / 'online.json'
    tool.main([AFA, str(ckpt), '--num-images', '5', '--batch-size', '2', '--out', str(out),
               '--cfg-options', f'val_dataloader.dataset.data_root={synthetic_root}'])
    result = json.loads(out.read_text())
    labels, head = np.array(result['labels']), np.array(result['head'])
    assert result['images'] == 5 and labels.shape == (7, 8) and head.shape == (7, 8)
    ids = open(osp.join(synthetic_root, 'ImageSets/Segmentation/train.txt')).read().split()[:5]
    gt = np.concatenate([np.array(Image.open(
        osp.join(synthetic_root, 'SegmentationClass', f'{i}.png'))).ravel() for i in ids])
    # table 1: every ground-truth pixel of the 5 images once, per class
    assert labels.sum(1).tolist() == np.bincount(gt[gt < 7], minlength=7).tolist()
    # table 2: rows are the labels, so their sums are table 1's column sums
    assert head[:, :7].sum(1).tolist() == labels[:, :7].sum(0).tolist()


def test_maps_of_a_resized_image_are_brought_to_the_ground_truth():
    from mmseg.structures import SegDataSample
    from mmengine.structures import PixelData
    s = SegDataSample(metainfo=dict(img_shape=(2, 3)))
    s.gt_sem_seg = PixelData(data=torch.zeros(1, 4, 6, dtype=torch.long))
    padded = torch.tensor([[1, 2, 3, 9], [4, 5, 6, 9], [9, 9, 9, 9]])
    out = tool.to_gt(padded, s)
    assert out.tolist() == [[1, 1, 2, 2, 3, 3], [1, 1, 2, 2, 3, 3],
                            [4, 4, 5, 5, 6, 6], [4, 4, 5, 5, 6, 6]]


def test_a_two_stage_model_is_refused():
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, 'configs/cam/cam_vit-t8_1xb16-500_synthetic-64x64.py'))
    with pytest.raises(TypeError, match='single-stage'):
        tool.build_model(cfg, 'unused.pth')
