# ToCo (Ru et al., "Token Contrast for Weakly-Supervised Semantic Segmentation",
# CVPR 2023), what its configs share: a ViT with one class token, the CAM
# classifiers (global max pooling) on its last block and, for L_cls_aux, on block
# -3; LargeFOV (two 3 x 3 convs with ReLU and a 1 x 1 classifier, mmseg's FCNHead;
# the authors' convs have no biases) for L_seg 0.1; 0.2 L_ptc, 0.5 L_ctc
# (temperature 0.5, 8 local crops, EMA 0.9), 0.05 L_reg; CAM thresholds 0.7 / 0.25
# at scales 1, 0.5, 1.5; test at 1, 1.5, 1.25 + flip (predictions only;
# with_cams=True adds the CAMs for CAMMetric). A config adds the input size, the
# backbone, the head widths, the local crop size and the iterations before L_seg /
# L_reg.
_base_ = ['./seg_data_preprocessor.py']
model = dict(
    type='ToCo',
    data_preprocessor=_base_.seg_data_preprocessor,
    decode_head=dict(
        type='FCNHead',
        in_index=0,
        num_convs=2,
        kernel_size=3,
        concat_input=False,
        dropout_ratio=0.0,
        norm_cfg=None,
        act_cfg=dict(type='ReLU'),
        align_corners=False,
        loss_decode=dict(type='BgFgBalancedCrossEntropyLoss', loss_weight=0.1)),
    cls_head=dict(type='GMPCAMHead'),
    aux_cls_head=dict(type='GMPCAMHead'),
    ctc_head=dict(type='CTCProjectionHead', num_layers=3, momentum=0.9),
    loss_ptc=dict(type='PatchTokenContrastLoss', loss_weight=0.2),
    loss_ctc=dict(type='ClassTokenContrastLoss', temperature=0.5, loss_weight=0.5),
    # the exact Gaussian at the height of rloss's permutohedral lattice (0.6)
    loss_reg=dict(type='DenseEnergyLoss', sigma_rgb=15.0, scale_factor=0.5,
                  energy_weight=1e-7, kernel_gain=0.6, loss_weight=0.05),
    aux_layer=-3,
    train_cfg=dict(cam_scales=(1.0, 0.5, 1.5), high_thre=0.7, low_thre=0.25,
                   num_local_crops=8, neg_crop_ratio=0.2),
    test_cfg=dict(scales=(1.0, 1.5, 1.25), flip=True, merge='max', with_cams=False))
