# Image-level label datasets in the VOC layout (JPEGImages, SegmentationClass,
# Annotations, ImageSets/Segmentation/{train,val}.txt): the loaders, pipelines and
# metric the dataset bases share. Training sees the image labels only; val and test
# score the maps against the pixel masks. A dataset base sets its type, root, crops
# and splits with partial dicts (mmengine merges nested dicts and replaces lists); a
# base's variables are not re-evaluated in a child, so it restates them:
#   train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
# Defaults: PASCAL VOC's type and root (./voc12_image_labels.py sets its splits),
# 448 x 448 crops.
custom_imports = dict(imports=['semformer'], allow_failed_imports=False)
dataset_type = 'VOCImageLabelDataset'
data_root = 'data/VOCdevkit/VOC2012'
crop_size = (448, 448)
data_prefix = dict(img_path='JPEGImages', seg_map_path='SegmentationClass',
                   xml_path='Annotations')

train_pipeline = [
    dict(type='LoadImageFromFile'),
    # long side uniformly in [224, 896], as the authors' RandomResize
    dict(type='RandomResize', scale=(896, 896), ratio_range=(0.25, 1.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackImageLabelInputs'),
]
# splits with pixel ground truth: the maps are scored against `gt_sem_seg`
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackImageLabelInputs'),
]

train_dataloader = dict(
    batch_size=4, num_workers=4, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix=data_prefix,
                 ann_file='ImageSets/Segmentation/train.txt', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix=data_prefix,
                 ann_file='ImageSets/Segmentation/val.txt', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
