# AFA (./afa.py) for the synthetic shape world: the synthetic-pretrained ViT-T/8
# (./vit-t8_backbone.py) without class tokens instead of MiT-B1, 64 x 64 inputs,
# K = 7. The affinity is read from the attention among patch tokens of its last 2
# blocks (2 x 4 heads), the SegFormer head (64 channels) decodes its last
# patch-token map. The paper's schedule scaled to 500 iterations: L_seg / L_aff start
# after 50 (paper 2000 of 20k), affinity-propagated segmentation labels after 150
# (paper 6000); random-walk radius 2 of 8 tokens (paper 8 of 32). Tested with the
# CAMs.
_base_ = ['./afa.py', './vit-t8_backbone.py']
model = dict(
    data_preprocessor=dict(size=(64, 64)),
    backbone=dict(_base_.vit_t8, num_class_tokens=0, out_type='featmap', out_indices=(5, )),
    decode_head=dict(in_channels=[128], in_index=[0], channels=64, num_classes=7,
                     norm_cfg=dict(type='BN', requires_grad=True)),
    cls_head=dict(in_channels=128, num_classes=7),
    aff_head=dict(in_channels=8),
    train_cfg=dict(radius=2, warmup_iters=50, aff_label_iter=150),
    test_cfg=dict(with_cams=True))
