# PASCAL VOC 2012 + SBD with image-level labels (K = 21, index 0 = background).
# Layout: data/VOCdevkit/VOC2012/{JPEGImages,Annotations,SegmentationClass,
# SegmentationClassAug,ImageSets/Segmentation/{train,trainaug,val}.txt}; labels are
# read from cls_labels.json (tools/make_image_labels.py) or the XML annotations.
custom_imports = dict(imports=['semformer'], allow_failed_imports=False)
dataset_type = 'VOCImageLabelDataset'
data_root = 'data/VOCdevkit/VOC2012'
crop_size = (448, 448)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    # long side uniformly in [224, 896], as the authors' RandomResize
    dict(type='RandomResize', scale=(896, 896), ratio_range=(0.25, 1.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackImageLabelInputs'),
]
# Splits with pixel ground truth: the maps are scored against `gt_sem_seg`.
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
        ann_file='ImageSets/Segmentation/trainaug.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug',
                         xml_path='Annotations'),
        pipeline=train_pipeline))
# CAM quality is measured on VOC `train` (1,464 images with pixel masks), as in the paper.
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass',
                         xml_path='Annotations'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
