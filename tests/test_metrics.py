import cv2
import numpy as np
import pytest
import torch

from semformer.evaluation import CAMMetric, ImageLabelMetric


def test_image_label_metric_hand_computed(monkeypatch):
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
    # samples without scores (a model predicting none) are left out and counted
    metric.process(None, [dict(gt_image_labels=torch.tensor(labels[0]))])
    logged = []
    monkeypatch.setattr('semformer.evaluation.metrics.image_label_metric.print_log',
                        lambda msg, *args, **kwargs: logged.append(msg))
    assert metric.compute_metrics(metric.results)['mAP'] == res['mAP']
    assert any('1 of 5 data samples have no pred_image_scores' in m for m in logged)
    empty = ImageLabelMetric()
    empty.process(None, [dict(gt_image_labels=torch.tensor(labels[0]))])
    assert empty.compute_metrics(empty.results) == {}
    # a class without any positive sample (absent from the split) is left out of the
    # averages, not counted as AP 0: the same figures with a third, absent class
    absent = ImageLabelMetric()
    absent.dataset_meta = dict(classes=('background', 'a', 'b', 'c'))
    absent.process(None, [
        dict(pred_image_scores=torch.tensor(s + [.7]), gt_image_labels=torch.tensor(y + [0]))
        for s, y in zip(scores, labels)
    ])
    logged.clear()
    assert absent.compute_metrics(absent.results) == pytest.approx(res)
    assert any("class(es) ['c'] have no positive sample" in m for m in logged)


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


def test_cam_metric_hand_computed(monkeypatch):
    logged = []
    monkeypatch.setattr('semformer.evaluation.metrics.cam_metric.print_log',
                        lambda msg, *args, **kwargs: logged.append(msg))
    metric = CAMMetric(thresholds=[0.0, 0.35, 0.65])
    metric.dataset_meta = dict(classes=('background', 'a', 'b'))
    metric.process({}, [cam_sample(CAMS, GT, plain=CAMS)])
    res = {k.split('/')[1]: v for k, v in metric.evaluate(1).items()}
    # t = 0: pred [[2,1,2],[2,2]] -> IoU 0, 1/2, 2/4; t = 0.35: [[0,1,2],[2,2]] ->
    # 1, 1/2, 2/3; t = 0.65: [[0,1,0],[2,0]] -> 1/3, 1/2, 1/2
    conf = metric.confusion(torch.tensor(CAMS), torch.tensor(GT))
    miou = metric.summarise(conf)['mIoU_per_threshold']
    assert miou == pytest.approx([100 / 3, 100 * 13 / 18, 100 * 4 / 9])
    assert res['threshold'] == 0.35
    assert res['mIoU'] == pytest.approx(100 * 13 / 18)
    assert res['FP'] == pytest.approx(100 / 9)  # class b: (3 - 2) / 3
    assert res['FN'] == pytest.approx(100 / 6)  # class a: (2 - 1) / 2
    assert res['IoU.b'] == pytest.approx(200 / 3)
    assert res['plain_mIoU'] == res['mIoU']
    # where the pixels go at t = 0.35, % of each ground-truth class: background ->
    # background; a -> half a, half b; b -> b
    expected = [[100, 0, 0], [0, 50, 50], [0, 0, 100]]
    assert np.allclose(metric.summarise(conf)['confusion'], expected)
    # a class absent from the ground truth gets a row of zeros, not NaN
    no_b = metric.confusion(torch.tensor(CAMS), torch.tensor([[0, 1, 1], [1, 1, 255]]))
    assert metric.summarise(no_b)['confusion'][2] == [0, 0, 0]
    assert len(logged) == 2 and all('ground truth' in m for m in logged)
    cells = [[c.strip() for c in line.split('|')[1:-1]] for line in logged[0].splitlines()]
    assert ['a', '0.0', '50.0', '50.0'] in cells  # the confusion row of class a


def test_cam_metric_accumulates_pixels_over_images():
    metric = CAMMetric(thresholds=[0.0, 0.35, 0.65])
    cams = torch.tensor(CAMS)
    one = metric.confusion(cams, torch.tensor(GT))
    metric.process({}, [cam_sample(CAMS, GT), cam_sample(cams.flip(-1).tolist(),
                                                         torch.tensor(GT).flip(-1).tolist())])
    metric._add(metric._held)  # what evaluate() does with the last image
    both = metric.results[0]['pred_cams']
    assert torch.equal(both, 2 * one)
    assert both[1].sum() == 2 * 5  # every non-ignored pixel counted once per image


def test_cam_metric_gathers_one_sum_per_process(monkeypatch):
    """What is gathered does not grow with the number of images."""
    gathered = []

    def collect(results, size, device, **kwargs):
        gathered.append(list(results))
        return list(results)

    monkeypatch.setattr('mmengine.evaluator.metric.collect_results', collect)
    rng = np.random.default_rng(0)
    metric = CAMMetric(thresholds=[0.0, 0.5])
    expected = 0
    for _ in range(40):
        cams = rng.uniform(0, 1, (3, 2, 3)).astype(np.float32).tolist()
        gt = rng.integers(0, 3, (2, 3)).tolist()
        expected = expected + metric.confusion(torch.tensor(cams), torch.tensor(gt))
        metric.process({}, [cam_sample(cams, gt, plain=cams)])
    assert len(metric.results) == 1  # one running sum, 39 images in it
    res = metric.evaluate(40)
    assert len(gathered[0]) == 1 and set(gathered[0][0]) == {'pred_cams', 'pred_cams_plain'}
    assert torch.equal(gathered[0][0]['pred_cams'], expected)
    assert res['cam/mIoU'] == pytest.approx(metric.summarise(expected)['mIoU'])
    assert metric.results == [] and metric._held is None  # ready for the next run


def test_cam_metric_drops_the_samplers_repeat(monkeypatch):
    """5 images on 2 processes: rank 1 sees images 1, 3 and a repeat of image 0."""
    import semformer.evaluation.metrics.cam_metric as module
    monkeypatch.setattr(module, 'get_dist_info', lambda: (1, 2))
    monkeypatch.setattr('mmengine.evaluator.metric.collect_results',
                        lambda results, size, device, **kwargs: list(results))
    metric = CAMMetric(thresholds=[0.0])
    gts = [[[c, c, c], [0, 0, 255]] for c in (0, 1, 2)]
    samples = [cam_sample(CAMS, g) for g in gts]  # images 1, 3 and the repeat
    for sample in samples:
        metric.process({}, [sample])
    metric.compute_metrics = lambda results: dict(conf=results[0]['pred_cams'])
    conf = metric.evaluate(5)['cam/conf']
    expected = sum(metric.confusion(torch.tensor(CAMS), torch.tensor(g)) for g in gts[:2])
    assert torch.equal(conf, expected)
    # with 6 images the third one is real and counted
    for sample in samples:
        metric.process({}, [sample])
    conf = metric.evaluate(6)['cam/conf']
    assert torch.equal(conf, expected + metric.confusion(torch.tensor(CAMS),
                                                         torch.tensor(gts[2])))


def authors_eroded_labels(label, kernel=7):
    """The official evaluation's post-processing, written out: every predicted
    index region (background too) eroded with a k x k kernel of ones by OpenCV,
    then the arg-max of the eroded masks (0 where none is left)."""
    masks = np.zeros((label.max() + 1, *label.shape), np.uint8)
    for c in np.unique(label):
        masks[c] = cv2.erode((label == c).astype(np.uint8), np.ones((kernel, kernel)))
    return masks.argmax(0)


def test_cam_metric_erosion_matches_the_official_post_processing():
    rng = np.random.default_rng(1)
    H, W, K = 24, 30, 4
    yy, xx = np.mgrid[:H, :W]
    cams = np.zeros((K, H, W), np.float32)
    cams[1] = np.exp(-((yy - 8)**2 + (xx - 9)**2) / 40)  # blobs, one at the border
    cams[2] = np.exp(-((yy - 16)**2 + (xx - 22)**2) / 30)
    cams[3] = np.exp(-((yy - 0)**2 + (xx - 29)**2) / 60)
    cams[1:] += rng.uniform(0, 0.05, cams[1:].shape).astype(np.float32)
    gt = rng.integers(0, K, (H, W))
    thresholds = [0.1, 0.25, 0.4]
    metric = CAMMetric(thresholds=thresholds, erode=7)
    confs = metric.eroded_confusion(torch.from_numpy(cams), torch.from_numpy(gt))
    for i, t in enumerate(thresholds):
        label = np.concatenate([np.full((1, H, W), t, np.float32), cams[1:]]).argmax(0)
        eroded = authors_eroded_labels(label)
        assert (eroded != label).sum() > 0  # the erosion does something here
        expected = np.bincount(gt.ravel() * K + eroded.ravel(), minlength=K * K)
        assert np.array_equal(confs[i].numpy(), expected.reshape(K, K)), t
    with pytest.raises(ValueError, match='odd kernel'):
        CAMMetric(erode=6)


def test_cam_metric_errors():
    metric = CAMMetric()
    with pytest.raises(KeyError, match='pred_cams'):
        metric.process({}, [dict(gt_sem_seg=dict(data=torch.zeros(1, 2, 2)))])
    with pytest.raises(ValueError, match='class 5'):
        metric.process({}, [cam_sample(CAMS, [[0, 1, 5], [2, 2, 255]])])
