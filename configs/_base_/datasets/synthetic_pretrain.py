# The pretraining world (tools/make_synthetic_voc.py --world pretrain): 32 shape
# classes (a superset of the WSSS world's 6), K = 33 with background, 64 px,
# medium clutter, seed-disjoint from the WSSS world, in its layout. Two sets: one
# object per image (data/synthetic_pretrain_single, seed 1000) and 1-3 objects
# (..._multi, seed 1001). Rescaled by 0.8-1.25; image labels only (multi-label
# classification metric).
_base_ = ['./synthetic_shapes.py']
dataset_type = 'SyntheticPretrainDataset'
data_root = 'data/synthetic_pretrain_single/VOC2012'
train_pipeline = [
    *_base_.train_pipeline[:1],
    dict(type='RandomResize', scale=(64, 64), ratio_range=(0.8, 1.25), keep_ratio=True),
    *_base_.train_pipeline[2:],
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackImageLabelInputs'),
]
train_dataloader = dict(
    batch_size=64,
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=100,
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='ImageLabelMetric', _delete_=True)
test_evaluator = val_evaluator
