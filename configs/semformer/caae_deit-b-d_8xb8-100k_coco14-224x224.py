# SemFormer stage 1 (CAAE) on MS COCO 2014 train (82,081 images with labels), K = 81.
# SemFormer has no COCO setting or result (its code and paper are VOC only); this
# is the VOC config (caae_deit-b-d_8xb8-33k_voc12aug-224x224.py) with the dataset, K and the length
# changed. Length: the VOC-to-COCO ratio of the stage-2 schedule (26,460 -> 80,000
# iterations, ToCo's COCO length) applied to the VOC CAAE's 33,100 iterations:
# 100,000 iterations at batch 64 (about 78 epochs of COCO).
#   python tools/dataset_converters/coco_wsss.py data/coco2014
#   bash tools/dist_train.sh configs/semformer/caae_deit-b-d_8xb8-100k_coco14-224x224.py 8   # 8 GPUs x 8 images
# Validation: the CAAE as a multi-label classifier on the first 5,000 val images.
_base_ = [
    './caae_deit-b-d_8xb8-33k_voc12aug-224x224.py', '../_base_/datasets/coco14_splits.py'
]
data_root = 'data/coco2014'
model = dict(num_classes=81)
train_dataloader = dict(dataset=_base_.coco14_train)
val_dataloader = dict(dataset=_base_.coco14_val)
test_dataloader = val_dataloader

max_iters = 100000
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters)]  # the VOC config's poly decay
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 10)
default_hooks = dict(checkpoint=dict(interval=max_iters // 10))
