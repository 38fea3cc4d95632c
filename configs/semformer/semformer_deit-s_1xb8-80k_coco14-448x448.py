# SemFormer stage 2 on MS COCO 2014 train (82,081 images with labels), K = 81: DeiT-S
# with 81 class tokens, 448 x 448 crops, batch 8 in total, 80,000 iterations (about
# 7.8 epochs), SGD poly lr 0.005, weight decay 5e-4: the VOC config
# (semformer_deit-s_1xb8-26k_voc12aug-448x448.py) with the dataset, K and the length changed.
# Reported on COCO: nothing; SemFormer has no COCO result (its code and paper are
# VOC only). Length and crop follow ToCo's COCO setting (80k iterations, batch
# 2 x 4 GPUs = 8, crop 448; 42.2 mIoU on val with ViT-B), which matches SemFormer's
# own batch 8 and crop 448.
#   python tools/dataset_converters/coco_wsss.py data/coco2014
#   bash tools/dist_train.sh configs/semformer/caae_deit-b-d_8xb8-100k_coco14-224x224.py 8    # stage 1, K = 81
#   bash tools/dist_train.sh configs/semformer/semformer_deit-s_1xb8-80k_coco14-448x448.py 1  # 1 GPU x 8 images
# Validation: CAMs (CAMMetric) on the first 5,000 val images, as ToCo's val_part;
# tools/test.py scores all 40,137 val images.
_base_ = [
    './semformer_deit-s_1xb8-26k_voc12aug-448x448.py', '../_base_/datasets/coco14_splits.py'
]
data_root = 'data/coco2014'
caae_checkpoint = 'work_dirs/caae_deit-b-d_8xb8-100k_coco14-224x224/iter_100000.pth'
model = dict(
    backbone=dict(num_class_tokens=81),
    decode_head=dict(num_classes=81),
    caae=dict(num_classes=81),
    caae_checkpoint=caae_checkpoint)
train_dataloader = dict(dataset=_base_.coco14_train)
val_dataloader = dict(dataset=_base_.coco14_val)
test_dataloader = dict(dataset=_base_.coco14_test)

max_iters = 80000
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters)]  # the VOC config's poly decay
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 4)
default_hooks = dict(checkpoint=dict(interval=max_iters // 4))
