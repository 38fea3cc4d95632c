import pytest
import torch

from semformer.evaluation import CAMMetric, ImageLabelMetric


def test_image_label_metric_hand_computed():
    # 4 images, K = 3 (background + 2). Class 1: scores rank both positives first
    # (AP 1). Class 2: positives at ranks 2 and 3 -> AP = (1/2 + 2/3) / 2.
    scores = [[1, .9, .2], [1, .8, .9], [1, .1, .6], [1, .3, .5]]
    labels = [[1, 1, 0], [1, 1, 0], [1, 0, 1], [1, 0, 1]]
    metric = ImageLabelMetric()
    metric.process(None, [
        dict(pred_image_scores=torch.tensor(s), gt_image_labels=torch.tensor(y))
        for s, y in zip(scores, labels)
    ])
    res = metric.compute_metrics(metric.results)
    assert res['mAP'] == pytest.approx(100 * (1 + (1 / 2 + 2 / 3) / 2) / 2)
    # scores >= 0.5: class 1 predicts images 0, 1 (P 1, R 1, F1 1); class 2 predicts
    # images 1, 2, 3 (P 2/3, R 1, F1 0.8) -> macro P 83.3, R 100, F1 90
    assert res['precision'] == pytest.approx(100 * (1 + 2 / 3) / 2)
    assert res['recall'] == pytest.approx(100.0)
    assert res['F1'] == pytest.approx(90.0)


def cam_sample(cams, gt, plain=None):
    sample = dict(pred_cams=dict(data=torch.tensor(cams)),
                  gt_sem_seg=dict(data=torch.tensor(gt)[None]))
    if plain is not None:
        sample['pred_cams_plain'] = dict(data=torch.tensor(plain))
    return sample


# 2 x 3 image, K = 3; pixel (1, 2) is ignored
GT = [[0, 1, 1], [2, 2, 255]]
CAMS = [[[0] * 3] * 2,
        [[0.1, 0.9, 0.5], [0.0, 0.3, 0.7]],
        [[0.2, 0.0, 0.6], [0.8, 0.4, 0.9]]]


def test_cam_metric_hand_computed():
    metric = CAMMetric(thresholds=[0.0, 0.35, 0.65])
    metric.dataset_meta = dict(classes=('background', 'a', 'b'))
    metric.process({}, [cam_sample(CAMS, GT, plain=CAMS)])
    res = metric.compute_metrics(metric.results)
    # t = 0: pred [[2,1,2],[2,2]] -> IoU 0, 1/2, 2/4; t = 0.35: [[0,1,2],[2,2]] ->
    # 1, 1/2, 2/3; t = 0.65: [[0,1,0],[2,0]] -> 1/3, 1/2, 1/2
    conf = metric.results[0]['pred_cams']
    miou = metric.summarise(conf)['mIoU_per_threshold']
    assert miou == pytest.approx([100 / 3, 100 * 13 / 18, 100 * 4 / 9])
    assert res['threshold'] == 0.35
    assert res['mIoU'] == pytest.approx(100 * 13 / 18)
    assert res['FP'] == pytest.approx(100 / 9)  # class b: (3 - 2) / 3
    assert res['FN'] == pytest.approx(100 / 6)  # class a: (2 - 1) / 2
    assert res['IoU.b'] == pytest.approx(200 / 3)
    assert res['plain_mIoU'] == res['mIoU']


def test_cam_metric_accumulates_pixels_over_images():
    metric = CAMMetric(thresholds=[0.0, 0.35, 0.65])
    cams = torch.tensor(CAMS)
    metric.process({}, [cam_sample(CAMS, GT), cam_sample(cams.flip(-1).tolist(),
                                                         torch.tensor(GT).flip(-1).tolist())])
    both = torch.stack([r['pred_cams'] for r in metric.results]).sum(0)
    assert torch.equal(both, 2 * metric.results[0]['pred_cams'])
    assert both[1].sum() == 2 * 5  # every non-ignored pixel counted once per image


def test_cam_metric_errors():
    metric = CAMMetric()
    with pytest.raises(KeyError, match='pred_cams'):
        metric.process({}, [dict(gt_sem_seg=dict(data=torch.zeros(1, 2, 2)))])
    with pytest.raises(ValueError, match='class 5'):
        metric.process({}, [cam_sample(CAMS, [[0, 1, 5], [2, 2, 255]])])
