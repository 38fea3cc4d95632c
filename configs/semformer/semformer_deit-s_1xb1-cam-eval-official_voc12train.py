# SemFormer's official CAM evaluation (the authors' evaluate.py), where the paper's
# CAM figures (55.8 without CRA, 63.7 with) were measured: VOC `train` (1,464
# images, SegmentationClass), background thresholds 0.10-0.39 in steps of 0.01, and
# every predicted class region eroded by a 7 x 7 kernel before scoring. Our default
# (CAMMetric in semformer_deit-s_1xb8-26k_voc12aug-448x448.py) is the standard un-eroded metric over 0-0.95.
#   python tools/test.py configs/semformer/semformer_deit-s_1xb1-cam-eval-official_voc12train.py CKPT
_base_ = ['./semformer_deit-s_1xb8-26k_voc12aug-448x448.py']
val_evaluator = [
    dict(type='CAMMetric', erode=7, thresholds=[round(0.10 + 0.01 * i, 2) for i in range(30)]),
    dict(type='ImageLabelMetric')
]
test_evaluator = val_evaluator
