"""tools/analysis/probe_cams.py: linear-probe CAMs of a frozen backbone."""
import json
import os.path as osp
import subprocess
import sys

import pytest
import torch

from conftest import REPO, load_tool
from semformer.evaluation.metrics.cam_metric import CAMMetric

probe = load_tool('tools/analysis/probe_cams.py')
CAM = osp.join(REPO, 'configs/cam/cam_vit-t8_1xb16-500_synthetic-64x64.py')


def test_probe_cams_relu_scale_upsample_and_score():
    # 2 foreground classes on a 4 x 4 grid: a token scores 3 for its own class and
    # -2 for the other; background tokens -1 for both
    mask = torch.tensor([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 0, 0], [2, 2, 0, 0]])
    one, two = (mask == 1).float(), (mask == 2).float()
    feats = torch.stack([3 * one - 2 * two - (mask == 0).float(),
                         3 * two - 2 * one - (mask == 0).float()])[None]
    labels = torch.tensor([[1.0, 1.0]])
    cams = probe.probe_cams(feats, torch.eye(2), labels, (4, 4))
    assert cams.shape == (1, 3, 4, 4) and cams[:, 0].abs().sum() == 0
    # negatives cut by the ReLU, maxima scaled to 1
    assert torch.equal(cams[0, 1], one) and torch.equal(cams[0, 2], two)
    metric = CAMMetric(thresholds=[0.5])
    assert CAMMetric.summarise(metric.confusion(cams[0], mask))['mIoU'] == pytest.approx(100)
    # upsampled to the mask size (bilinear, align_corners=False): the 8 x 8 maps of
    # a constant block stay 1 inside it and are scaled to max 1
    big = probe.probe_cams(feats, torch.eye(2), labels, (8, 8))
    assert big.shape == (1, 3, 8, 8) and big[0, 1].max() == pytest.approx(1.0)
    assert torch.all(big[0, 1, :3, 5:] == 1) and torch.all(big[0, 1, 5:, :3] == 0)
    # a weight of scale 5 changes nothing after the max scaling
    torch.testing.assert_close(probe.probe_cams(feats, 5 * torch.eye(2), labels, (4, 4)), cams)
    # an absent class's map is zeroed
    cams = probe.probe_cams(feats, torch.eye(2), torch.tensor([[1.0, 0.0]]), (4, 4))
    assert cams[0, 2].abs().sum() == 0


def test_token_cosine_hand_cases():
    same = torch.ones(2, 3, 4, 4)
    assert probe.token_cosine(same) == pytest.approx(1.0)
    opposite = torch.stack([torch.ones(3), -torch.ones(3)], 1).view(1, 3, 1, 2)
    assert probe.token_cosine(opposite) == pytest.approx(-1.0)
    # three tokens e1, e1, e2: pairs (1, 1, 0) each counted twice -> 2 / 6
    tokens = torch.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]).view(1, 2, 1, 3)
    assert probe.token_cosine(tokens) == pytest.approx(1 / 3)


def test_probe_layer_separable_tokens_localise():
    # class c's images hold a blob of feature c on a background of noise: the
    # probe must find the blobs (high CAM mIoU) and rank images (mAP 100)
    g = torch.Generator().manual_seed(0)
    n, C = 40, 8
    feats = 0.1 * torch.randn(n, C, 6, 6, generator=g)
    masks = torch.zeros(n, 6, 6, dtype=torch.long)
    for i in range(n):
        c = i % 2
        masks[i, 1:4, 1 + c:4 + c] = c + 1
        feats[i, c, 1:4, 1 + c:4 + c] += 1.0
    labels = probe.image_labels(masks, 3)
    assert labels[:4].tolist() == [[1, 0], [0, 1], [1, 0], [0, 1]]
    for pool in ('avg', 'max'):
        r = probe.probe_layer(feats, feats, labels, labels, masks, pool=pool, iters=200)
        assert r['mAP'] == pytest.approx(100)
        assert r['cam_mIoU'] > 90, pool
    # tokens that carry no position (every token the image's mean) cannot localise
    flat = feats.mean((2, 3), keepdim=True).expand_as(feats).contiguous()
    r = probe.probe_layer(flat, flat, labels, labels, masks, pool='avg', iters=200)
    assert r['token_cosine'] == pytest.approx(1.0) and r['cam_mIoU'] < 50
    with pytest.raises(ValueError, match='pool'):
        probe.probe_layer(feats, feats, labels, labels, masks, pool='sum')


def test_cli_on_the_synthetic_set(synthetic_root, tmp_path):
    out = tmp_path / 'probe.json'
    proc = subprocess.run(
        [sys.executable, 'tools/analysis/probe_cams.py', CAM, '--data-root',
         synthetic_root, '--pool', 'max', '--iters', '20',
         '--out', str(out)], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # every tensor of the shipped backbone loaded from the config's init_cfg
    assert 'loaded ' in proc.stdout and 'checkpoints/synthetic_vit-t8_pretrain.pth' in proc.stdout
    result = json.loads(out.read_text())
    assert [r['block'] for r in result['layers']] == ['1', '2', '3', '4', '5', '6', '6+norm']
    for r in result['layers']:
        assert 0 <= r['cam_mIoU'] <= 100 and len(r['IoU']) == 7


def test_backbone_blocks_and_final_norm_match_the_model(tmp_path):
    """The probe's block maps are the backbone's own forward outputs: block 6 + norm
    equals the model's last-block output with final_norm, block 3 its third."""
    from mmengine.config import Config
    from mmseg.registry import MODELS
    cfg = Config.fromfile(CAM)
    backbone = probe.build_backbone(cfg)
    ref = MODELS.build(dict(cfg.model.backbone, init_cfg=None, num_class_tokens=0,
                            out_type='featmap', out_indices=(2, 5)))
    ref.load_state_dict(backbone.state_dict())
    ref.eval()
    images = torch.rand(2, 3, 64, 64) * 255
    feats = probe.extract(backbone, images, probe.IMAGENET_MEAN, probe.IMAGENET_STD)
    assert len(feats) == 7
    mean = torch.tensor(probe.IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(probe.IMAGENET_STD).view(1, 3, 1, 1)
    with torch.no_grad():
        third, last = ref((images - mean) / std)
    torch.testing.assert_close(feats[2], third)
    torch.testing.assert_close(feats[6], last)
    assert not torch.allclose(feats[5], last)


def test_checkpoint_of_another_architecture_is_an_error(tmp_path):
    from mmengine.config import Config
    cfg = Config.fromfile(CAM)
    ckpt = tmp_path / 'other.pth'
    torch.save({'state_dict': {'backbone.pos_embed': torch.zeros(1, 5, 3)}}, ckpt)
    with pytest.raises(ValueError, match='other.pth'):
        probe.build_backbone(cfg, str(ckpt))


def test_cli_names_a_missing_split(tmp_path):
    proc = subprocess.run(
        [sys.executable, 'tools/analysis/probe_cams.py', CAM, '--data-root', str(tmp_path)],
        cwd=REPO, capture_output=True, text=True)
    assert proc.returncode != 0
    assert osp.join(str(tmp_path), 'ImageSets', 'Segmentation', 'train.txt') in proc.stderr


def test_read_split_turns_images_by_their_exif_orientation(tmp_path):
    """A JPEG stored 16 wide x 8 high, red left and blue right, tagged 6 (turn 90
    degrees clockwise): mmcv's loader reads it 8 wide x 16 high, red on top; the
    probe must see the same image."""
    import mmcv
    import numpy as np
    from PIL import Image
    root = tmp_path / 'VOC2012'
    for d in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        (root / d).mkdir(parents=True)
    (root / 'ImageSets/Segmentation/train.txt').write_text('a\n')
    pixels = np.zeros((8, 16, 3), np.uint8)
    pixels[:, :8, 0] = 255
    pixels[:, 8:, 2] = 255
    exif = Image.Exif()
    exif[0x0112] = 6
    jpg = str(root / 'JPEGImages/a.jpg')
    Image.fromarray(pixels).save(jpg, exif=exif.tobytes(), quality=95)
    Image.fromarray(np.zeros((16, 8), np.uint8)).save(str(root / 'SegmentationClass/a.png'))
    loaded = mmcv.imread(jpg, channel_order='rgb')
    assert loaded.shape == (16, 8, 3)
    assert loaded[2, 4, 0] > 200 and loaded[13, 4, 2] > 200  # red on top, blue below
    images, masks = probe.read_split(str(root), 'train', size=8, num_classes=2)
    assert images.shape == (1, 3, 8, 8) and masks.shape == (1, 8, 8)
    top, bottom = images[0, :, 1], images[0, :, 6]  # rows of the 8 x 8 image
    assert (top[0] > 200).all() and (top[2] < 60).all()
    assert (bottom[2] > 200).all() and (bottom[0] < 60).all()
