# The embedded synthetic shape world (tools/make_synthetic_voc.py), K = 7 with
# background, in the VOC layout; every image has pixel masks.
_base_ = ['./voc12_image_labels.py']
dataset_type = 'SyntheticShapeDataset'
data_root = 'data/synthetic/VOC2012'
crop_size = (64, 64)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResize', scale=(64, 64), ratio_range=(0.75, 1.25),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackImageLabelInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackImageLabelInputs'),
]
data_prefix = dict(img_path='JPEGImages', seg_map_path='SegmentationClass',
                   xml_path='Annotations')
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=data_prefix,
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        data_prefix=data_prefix,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
