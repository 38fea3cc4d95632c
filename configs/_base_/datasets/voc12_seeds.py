# PASCAL VOC 2012 trainaug (./voc12_image_labels.py) with the seeds as pixel labels
# (PseudoLabels/seeds, 255 = ignore; configs/pseudo_label/seeds-crf_semformer_voc12aug.py):
# the AffinityNet's training data, with the dataset's augmentation (long side in
# [224, 896], 448 crops, flip, colour jitter). Training only, no val or test split.
_base_ = ['./voc12_image_labels.py']
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    *_base_.train_pipeline[1:-1],
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    dataset=dict(data_prefix=dict(seg_map_path='PseudoLabels/seeds'), pipeline=train_pipeline))
val_dataloader = val_evaluator = None
test_dataloader = test_evaluator = None
