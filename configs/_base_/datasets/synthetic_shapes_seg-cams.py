# The synthetic shape world for single-stage models (./synthetic_shapes_cams.py):
# their segmentation (pred_sem_seg, IoUMetric) and their CAMs (pred_cams, CAMMetric's
# background threshold sweep) scored on val.
_base_ = ['./synthetic_shapes_cams.py']
val_evaluator = [dict(type='IoUMetric', iou_metrics=['mIoU']), dict(type='CAMMetric')]
test_evaluator = val_evaluator
