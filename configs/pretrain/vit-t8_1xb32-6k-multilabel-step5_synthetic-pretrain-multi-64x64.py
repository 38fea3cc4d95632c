# Stand-in for ImageNet pretraining, step 5 (shipped as
# checkpoints/synthetic_vit-t8_pretrain-step5.pth, the start of step 6): step 2's
# multi-label recipe (vit-t8_1xb32-6k-multilabel_synthetic-pretrain-multi-64x64.py)
# run once more, from the published step-4 backbone
# (checkpoints/synthetic_vit-t8_pretrain-step4.pth). That file holds the backbone
# only, so the linear classifier starts from scratch here (steps 3 and 4 kept
# theirs). Val mAP over the 32 classes goes from step 4's 68.3 to 73.3 (24 min on
# 2 CPU cores).
#   python tools/train.py configs/pretrain/vit-t8_1xb32-6k-multilabel-step5_synthetic-pretrain-multi-64x64.py
#   python tools/publish_backbone.py \
#       work_dirs/vit-t8_1xb32-6k-multilabel-step5_synthetic-pretrain-multi-64x64/iter_6000.pth \
#       checkpoints/synthetic_vit-t8_pretrain-step5.pth --note "config, seed, minutes, val mAP"
_base_ = ['./vit-t8_1xb32-6k-multilabel_synthetic-pretrain-multi-64x64.py']
load_from = 'checkpoints/synthetic_vit-t8_pretrain-step4.pth'
