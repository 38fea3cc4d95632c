# The pretraining world (tools/make_synthetic_voc.py --world pretrain): 32 shape
# classes (a superset of the WSSS world's 6), K = 33 with background, 64 px,
# medium clutter, seed-disjoint from the WSSS world. Two sets: one object per image
# (data/synthetic_pretrain_single, seed 1000) and 1-3 objects (..._multi, seed 1001).
custom_imports = dict(imports=['semformer'], allow_failed_imports=False)
dataset_type = 'SyntheticPretrainDataset'
data_root = 'data/synthetic_pretrain_single/VOC2012'
crop_size = (64, 64)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.8, 1.25), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackImageLabelInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackImageLabelInputs'),
]
data_prefix = dict(img_path='JPEGImages', seg_map_path='SegmentationClass',
                   xml_path='Annotations')
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='ImageSets/Segmentation/train.txt', data_prefix=data_prefix,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=100,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='ImageSets/Segmentation/val.txt', data_prefix=data_prefix,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='ImageLabelMetric')
test_evaluator = val_evaluator
