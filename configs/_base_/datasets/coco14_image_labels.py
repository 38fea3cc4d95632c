# MS COCO 2014 with image-level labels in the WSSS protocol (K = 81, index 0 =
# background, 1..80 the categories in category-id order, as AFA / ToCo / MCTformer).
# Prepare once (pip install pycocotools):
#   python tools/dataset_converters/coco_wsss.py data/coco2014
# Layout: data/coco2014/{train2014,val2014}/*.jpg, annotations/instances_*2014.json,
# and, written by the converter, SegmentationClass/{train2014,val2014}/*.png,
# ImageSets/Segmentation/{train,val}.txt (82,081 / 40,137 images with at least one
# annotation), cls_labels.json, classes.txt.
custom_imports = dict(imports=['semformer'], allow_failed_imports=False)
dataset_type = 'COCOImageLabelDataset'
data_root = 'data/coco2014'
crop_size = (448, 448)
train_data_prefix = dict(img_path='train2014', seg_map_path='SegmentationClass/train2014')
val_data_prefix = dict(img_path='val2014', seg_map_path='SegmentationClass/val2014')

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResize', scale=(896, 896), ratio_range=(0.25, 1.0),
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

train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=train_data_prefix,
        pipeline=train_pipeline))
# In-training validation on the first 5,000 val images (ToCo validates on a
# 4,999-image part of val for speed); the test loader scores all 40,137.
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        data_prefix=val_data_prefix,
        indices=5000,
        pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        data_prefix=val_data_prefix,
        pipeline=test_pipeline))
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
