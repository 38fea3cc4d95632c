# The embedded synthetic shape world (tools/make_synthetic_voc.py), K = 7 with
# background, in the VOC layout; every image has pixel masks. 64 x 64 crops of
# images rescaled by 0.75-1.25 (a long side of 48-80 px); tests at the training
# scale, a long side of 64 px (the embedded world's own size), the maps resized
# back to each image's size and scored against its own masks, so a VOC-layout
# folder of larger or smaller images runs at the scale the models learned.
_base_ = ['./image_labels.py']
dataset_type = 'SyntheticShapeDataset'
data_root = 'data/synthetic/VOC2012'
crop_size = (64, 64)
train_pipeline = [
    *_base_.train_pipeline[:1],
    dict(type='RandomResize', scale=(64, 64), ratio_range=(0.75, 1.25), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    *_base_.train_pipeline[3:],
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackImageLabelInputs'),
]
train_dataloader = dict(
    batch_size=16, num_workers=2,
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2,
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
