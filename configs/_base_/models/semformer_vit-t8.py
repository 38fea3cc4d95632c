# SemFormer stage 2 for the synthetic shape world: the synthetic-pretrained ViT-T/8
# with K = 7 class tokens (initialised from its cls token), the activation-map head
# (D = 64), the frozen stage-1 CAAE (./caae_vit-t8.py) loaded from
# `caae_checkpoint` and fed the same 64 x 64 crops (the paper: 448 and 224; half of
# 64 would leave the CAAE 4 x 4 tokens), CRA over the last 4 of the 6 blocks (the
# paper: 4 of 12; inference only).
_base_ = ['./caae_vit-t8.py']
caae_checkpoint = 'work_dirs/pipeline/caae/iter_500.pth'
model = dict(
    _delete_=True,
    type='SemFormer',
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone=dict(_base_.vit_t8, num_class_tokens=7),
    decode_head=dict(type='SemFormerHead', in_channels=128, num_classes=7, class_dim=64),
    caae={{_base_.model}},
    caae_checkpoint=caae_checkpoint,
    caae_input_size=(64, 64),
    cra=dict(type='ClassRelativeAttention', num_layers=4),
    test_cfg=dict(scales=(0.5, 1.0, 1.5, 2.0), flip=True, cra=True, keep_plain=True))
