# SemFormer stage 2 on the synthetic shape world, sized for a 2-core CPU.
# Inherits the stage-1 config it builds on: the same data, and its CAAE (frozen,
# loaded from the stage-1 checkpoint below). Backbone: the synthetic pretrained ViT
# (6 layers, width 128, conv stem to patch 8), with 7 class tokens initialised from
# its cls token. 64 x 64 crops, which the CAAE sees at the same size (the paper:
# 448 and 224; half of 64 would leave the CAAE 4 x 4 tokens).
#   python tools/train.py configs/synthetic/semformer_caae.py --work-dir work_dirs/pipeline/caae
#   python tools/train.py configs/synthetic/semformer_cam.py
_base_ = ['./semformer_caae.py']
caae_checkpoint = 'work_dirs/pipeline/caae/iter_500.pth'
model = dict(
    _delete_=True,
    type='SemFormer',
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone=dict(
        type='MultiClassTokenViT',
        num_class_tokens=7,
        arch=dict(embed_dims=128, num_layers=6, num_heads=4, feedforward_channels=512),
        img_size=64,
        patch_size=8,
        patch_cfg=dict(conv_type='ConvStem'),
        out_type='raw',
        init_cfg=dict(type='Pretrained', checkpoint={{_base_.checkpoint}},
                      prefix='backbone.')),
    decode_head=dict(type='SemFormerHead', in_channels=128, num_classes=7, class_dim=64),
    caae={{_base_.model}},
    caae_checkpoint=caae_checkpoint,
    caae_input_size=(64, 64),
    # CRA over the last 4 of the 6 blocks (the paper: 4 of 12); inference only
    cra=dict(type='ClassRelativeAttention', num_layers=4),
    test_cfg=dict(scales=(0.5, 1.0, 1.5, 2.0), flip=True, cra=True, keep_plain=True))
val_evaluator = dict(type='CAMMetric', _delete_=True)
test_evaluator = val_evaluator
train_dataloader = dict(batch_size=16)
val_dataloader = dict(batch_size=25)
test_dataloader = val_dataloader

max_iters = 500
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.01),
    paramwise_cfg=dict(
        _delete_=True,
        custom_keys={
            'backbone': dict(lr_mult=0.1),
            'backbone.class_tokens': dict(lr_mult=1.0, decay_mult=0.0),
            'backbone.class_pos_embed': dict(lr_mult=1.0, decay_mult=0.0),
        }))
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=250)
default_hooks = dict(checkpoint=dict(interval=250))
custom_hooks = [dict(type='CAMVisualizationHook', num_images=6)]
