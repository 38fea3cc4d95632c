# Pseudo labels of the synthetic train split from the saved CAMs (stage 3):
# background where every class map is <= bg_threshold, else the arg-max class, as
# VOC palette PNGs beside the dataset; scored against the train masks.
# Resumable, one file per image. No checkpoint: nothing is learned here.
#   python tools/test.py configs/synthetic/pseudo-label_threshold.py
_base_ = [
    '../_base_/datasets/synthetic_shapes.py', 'mmseg::_base_/default_runtime.py'
]
data_root = 'data/synthetic/VOC2012'
cam_dir = data_root + '/CAMs/semformer'
name = 'threshold'
model = dict(
    type='PseudoLabelGenerator',
    data_preprocessor=dict(
        type='SegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1], bgr_to_rgb=True),
    bg_threshold=0.3,
    refiners=[])
test_dataloader = dict(
    batch_size=1,
    dataset=dict(
        ann_file='ImageSets/Segmentation/train.txt',
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='LoadCAMs', cam_dir=cam_dir),
            dict(type='PackImageLabelInputs'),
        ]))
test_evaluator = dict(type='PseudoLabelMetric', _delete_=True)
train_dataloader = train_cfg = optim_wrapper = None
# no trainable parameters, so no DDP: mmengine's wrapper that only wraps submodules
# with gradients (none here) lets dist_test.sh split the images
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')
val_dataloader = val_cfg = val_evaluator = None
test_cfg = dict(
    type='ResumableTestLoop', save='labels',
    out_dir=data_root + '/PseudoLabels/' + name)
