# SemFormer stage 1: the Class-Aware AutoEncoder with an ImageNet DeiT-B distilled
# encoder (patch tokens only), K = 21, D = 256, decoder 768 x 8 (paper Tables 7, 10).
_base_ = ['./seg_data_preprocessor.py']
data_preprocessor = dict(_base_.seg_data_preprocessor, size=(224, 224))
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
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/deit/deit-base-distilled_3rdparty_pt-16xb64_in1k_20211216-42891296.pth',  # noqa
            prefix='backbone.')),
    decoder=dict(embed_dims=768, num_layers=8, num_heads=12),
    loss_ss=dict(type='SemanticSimilarityLoss', loss_weight=1.0),
    loss_recon=dict(type='ReconstructionLoss', loss_weight=1.0))
