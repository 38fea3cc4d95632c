# ToCo (./toco.py) for the synthetic shape world: the synthetic-pretrained ViT-T/8
# (./vit-t8_backbone.py, its cls token as ToCo's class token) instead of ViT-B/16,
# 64 x 64 inputs, K = 7. Scaled from the paper: intermediate CAM from block 4 of 6
# (aux_layer -3, as the paper's 10 of 12), 8 local crops of 16 px (paper 96 of 448),
# LargeFOV with 64 channels and dilation 2, a 128-d CTC projection, L_reg with
# sigma_xy 15 px (paper 100 of 448), L_seg / L_reg after 50 iterations (paper 2000
# of 20k). Tested with the CAMs.
_base_ = ['./toco.py', './vit-t8_backbone.py']
model = dict(
    data_preprocessor=dict(size=(64, 64)),
    backbone=dict(_base_.vit_t8, num_class_tokens=1, final_norm=True),
    decode_head=dict(in_channels=128, channels=64, dilation=2, num_classes=7),
    cls_head=dict(in_channels=128, num_classes=7),
    aux_cls_head=dict(in_channels=128, num_classes=7),
    ctc_head=dict(in_channels=128, out_channels=128, hidden_channels=256,
                  bottleneck_channels=64),
    loss_reg=dict(sigma_xy=15.0),
    train_cfg=dict(warmup_iters=50, local_crop_size=16),
    test_cfg=dict(with_cams=True))
