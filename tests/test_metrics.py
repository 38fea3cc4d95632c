import pytest
import torch

from semformer.evaluation import ImageLabelMetric


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
