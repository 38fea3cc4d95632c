# AFA (Ru et al., "Learning Affinity from Attention", CVPR 2022), what its configs
# share: the CAM classifier (global max pooling, multi-label soft margin), the
# affinity head on the attention of the last 2 blocks (L_aff 0.1), the SegFormer
# head (dropout 0.1, L_seg 0.1, background and foreground balanced), PAR, the CAM
# thresholds 0.55 / 0.35, CAMs at scales 1, 0.5, 1.5, test at 1, 0.5, 0.75 + flip
# (predictions only; with_cams=True adds the CAMs for CAMMetric).
# A config adds the input size, the backbone, the head widths and the iterations at
# which L_seg / L_aff and the affinity labels start.
_base_ = ['./seg_data_preprocessor.py']
model = dict(
    type='AFA',
    data_preprocessor=_base_.seg_data_preprocessor,
    decode_head=dict(
        type='SegformerHead', dropout_ratio=0.1, align_corners=False,
        loss_decode=dict(type='BgFgBalancedCrossEntropyLoss', loss_weight=0.1)),
    cls_head=dict(
        type='GMPCAMHead', loss_cls=dict(type='MultiLabelSoftMarginLoss', loss_weight=1.0)),
    aff_head=dict(
        type='AffinityFromAttentionHead', loss_aff=dict(type='AffinityLoss', loss_weight=0.1)),
    attn_layers=2,
    par=dict(type='PAR', dilations=(1, 2, 4, 8, 12, 24), iterations=10),
    train_cfg=dict(cam_scales=(1.0, 0.5, 1.5), high_thre=0.55, low_thre=0.35),
    test_cfg=dict(scales=(1.0, 0.5, 0.75), flip=True, merge='max', with_cams=False))
