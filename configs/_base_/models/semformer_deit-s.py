# SemFormer stage 2 (the segmentation network): DeiT-S (ImageNet) with K = 21 class
# tokens, the activation-map head with the five losses, the frozen stage-1 CAAE
# (./caae_deit-b.py) loaded from `caae_checkpoint`, CRA over the last 4 blocks.
_base_ = ['./caae_deit-b.py', './deit-s.py']
caae_checkpoint = 'work_dirs/caae_deit-b-d_8xb8-33k_voc12aug-224x224/iter_33100.pth'
model = dict(
    _delete_=True,
    type='SemFormer',
    data_preprocessor=dict(_base_.seg_data_preprocessor, size=(448, 448)),
    backbone=dict(_base_.deit_s, num_class_tokens=21, img_size=448),
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
