# SemFormer stage 2 (the segmentation network): DeiT-S (ImageNet) with K = 21 class
# tokens, the activation-map head with the five losses, the frozen stage-1 CAAE
# (./caae_deit-b.py) loaded from `caae_checkpoint`, CRA over the last 4 blocks.
_base_ = ['./caae_deit-b.py']
checkpoint = 'https://download.openmmlab.com/mmclassification/v0/deit/deit-small_pt-4xb256_in1k_20220218-9425b9bb.pth'  # noqa
caae_checkpoint = 'work_dirs/caae_deit-b-d_8xb8-33k_voc12aug-224x224/iter_33100.pth'
model = dict(
    _delete_=True,
    type='SemFormer',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        size=(448, 448)),
    backbone=dict(
        type='MultiClassTokenViT',
        num_class_tokens=21,
        arch='deit-small',
        img_size=448,
        patch_size=16,
        out_type='raw',
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    decode_head=dict(
        type='SemFormerHead',
        in_channels=384,
        num_classes=21,
        class_dim=256,
        dropout_ratio=0.5,
        loss_cf=dict(type='ClassForegroundLoss', loss_weight=1.0),
        loss_cb=dict(type='ClassBackgroundLoss', loss_weight=1.0),
        loss_as=dict(type='ActivationSuppressionLoss', form='public', loss_weight=0.075),
        loss_ac=dict(type='ActivationComplementationLoss', loss_weight=1.0),
        loss_ss=dict(type='SemanticSimilarityLoss', loss_weight=1.0)),
    caae={{_base_.model}},  # the stage-1 CAAE, frozen, loaded from caae_checkpoint
    caae_checkpoint=caae_checkpoint,
    caae_input_size=(224, 224),
    cra=dict(type='ClassRelativeAttention', num_layers=4),
    test_cfg=dict(scales=(0.5, 1.0, 1.5, 2.0), flip=True, cra=True, keep_plain=True))
