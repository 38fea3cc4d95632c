# SemFormer stage 1 (CAAE) on the synthetic shape world, sized for a 2-core CPU.
# Encoder: the ViT pretrained on a disjoint synthetic set (multi-label
# classification, configs/synthetic/pretrain_vit-t8_multilabel.py), 6 layers,
# width 128, a convolutional stem down to patch 8: 8 x 8 tokens on 64 x 64 images.
# K = 7, D = 64.
_base_ = [
    '../_base_/models/caae_deit-b.py', '../_base_/datasets/synthetic_shapes.py',
    '../_base_/schedules/iter_based.py', 'mmseg::_base_/default_runtime.py'
]
crop_size = (64, 64)
checkpoint = 'checkpoints/synthetic_vit-t8_pretrain.pth'
model = dict(
    data_preprocessor=dict(size=crop_size),
    num_classes=7,
    class_dim=64,
    encoder=dict(
        arch=dict(
            _delete_=True,
            embed_dims=128,
            num_layers=6,
            num_heads=4,
            feedforward_channels=512),
        img_size=64,
        patch_size=8,
        patch_cfg=dict(conv_type='ConvStem'),
        init_cfg=dict(checkpoint=checkpoint)),
    decoder=dict(embed_dims=128, num_layers=2, num_heads=4))
train_dataloader = dict(batch_size=32)
val_dataloader = dict(batch_size=50)
test_dataloader = val_dataloader
val_evaluator = dict(type='ImageLabelMetric', _delete_=True)
test_evaluator = val_evaluator

max_iters = 500
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={'encoder': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=250)
default_hooks = dict(
    logger=dict(interval=25), checkpoint=dict(interval=250))
custom_hooks = [dict(type='CAAEReconstructionHook', num_images=8)]
randomness = dict(seed=0)
