# SemFormer stage 1 (CAAE) on the synthetic shape world, sized for a 2-core CPU.
# Encoder: the ViT pretrained on a disjoint 32-class synthetic world
# (configs/pretrain/vit-t8_1xb32-6k-multilabel_synthetic-pretrain-multi-64x64.py),
# 6 layers, width 128, a convolutional stem down to patch 8: 8 x 8 tokens on 64 x 64
# images. K = 7, D = 64. Batch 32, 500 iterations of AdamW (encoder at 0.1 x lr).
#   python tools/train.py configs/semformer/caae_vit-t8_1xb32-500_synthetic-64x64.py
_base_ = [
    '../_base_/models/caae_vit-t8.py', '../_base_/datasets/synthetic_shapes.py',
    '../_base_/schedules/adamw-poly_500it.py', 'mmseg::_base_/default_runtime.py'
]
train_dataloader = dict(batch_size=32)
val_dataloader = dict(batch_size=50)
test_dataloader = val_dataloader
# the CAAE as a multi-label classifier (cos(E_c, S_c)) on val
val_evaluator = dict(type='ImageLabelMetric', _delete_=True)
test_evaluator = val_evaluator

optim_wrapper = dict(
    constructor='QuietOptimWrapperConstructor',
    paramwise_cfg=dict(custom_keys={'encoder': dict(lr_mult=0.1)}))
default_hooks = dict(logger=dict(interval=25))
custom_hooks = [dict(type='CAAEReconstructionHook', num_images=8)]
