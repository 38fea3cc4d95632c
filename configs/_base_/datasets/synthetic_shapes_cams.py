# The synthetic shape world for CAM models (./synthetic_shapes.py): the CAMs of the
# val images scored against their masks (CAMMetric: mIoU at the best background
# threshold) and the image-level class scores (ImageLabelMetric: mAP), 25 images a
# batch.
_base_ = ['./synthetic_shapes.py']
val_dataloader = dict(batch_size=25)
test_dataloader = val_dataloader
val_evaluator = [dict(type='CAMMetric'), dict(type='ImageLabelMetric')]
test_evaluator = val_evaluator
