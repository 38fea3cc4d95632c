# The synthetic shape world's train split (./synthetic_shapes.py) with the seeds as
# pixel labels (PseudoLabels/seeds, 255 = ignore;
# configs/pseudo_label/seeds-crf_semformer_synthetic.py): the AffinityNet's training
# data, 64 x 64 crops of images rescaled by 0.75-1.5, flip, colour jitter. Training
# only, no val or test split.
_base_ = ['./synthetic_shapes.py']
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(64, 64), ratio_range=(0.75, 1.5), keep_ratio=True),
    *_base_.train_pipeline[2:-1],
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    dataset=dict(data_prefix=dict(seg_map_path='PseudoLabels/seeds'), pipeline=train_pipeline))
val_dataloader = val_evaluator = None
test_dataloader = test_evaluator = None
