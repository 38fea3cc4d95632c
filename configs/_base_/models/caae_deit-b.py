# SemFormer stage 1: the Class-Aware AutoEncoder with an ImageNet DeiT-B distilled
# encoder (patch tokens only), K = 21, D = 256, decoder 768 x 8 (paper Tables 7, 10).
checkpoint = 'https://download.openmmlab.com/mmclassification/v0/deit/deit-base-distilled_3rdparty_pt-16xb64_in1k_20211216-42891296.pth'  # noqa
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(224, 224))
model = dict(
    type='ClassAwareAutoEncoder',
    data_preprocessor=data_preprocessor,
    num_classes=21,
    class_dim=256,
    reduction='sum',
    encoder=dict(
        type='MultiClassTokenViT',
        num_class_tokens=0,
        arch='deit-base',
        img_size=224,
        patch_size=16,
        out_type='raw',
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    decoder=dict(embed_dims=768, num_layers=8, num_heads=12),
    loss_ss=dict(type='SemanticSimilarityLoss', loss_weight=1.0),
    loss_recon=dict(type='ReconstructionLoss', loss_weight=1.0))
