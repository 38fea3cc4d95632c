# AffinityNet (PSA) on PASCAL VOC: ResNetV1c-50 (mmseg's ImageNet checkpoint),
# stages 2-4 fused at stride 8 (dilated), pairs within radius 5, as PSA.
affinity_net = dict(
    type='AffinityNet',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        seg_pad_val=255,
        size=(448, 448)),
    backbone=dict(
        type='ResNetV1c', depth=50, out_indices=(1, 2, 3), strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4), contract_dilation=True,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet50_v1c')),
    in_channels=(512, 1024, 2048),
    in_index=(0, 1, 2),
    channels=64,
    out_channels=448,
    radius=5)

# The AffinityNet of SemFormer's authors (IRN's edge branch, Ahn et al. 2019): a
# frozen ResNet-50 (torchvision ImageNet weights, fixed BatchNorm), its four stages
# (strides 4, 8, 16, 16) -> 32 channels each -> a boundary map at stride 4;
# affinities = 1 - the largest boundary value on the path, pairs within radius 10.
# (The authors also feed the stem's output; mmseg's ResNet does not return it.)
boundary_affinity_net = dict(
    type='BoundaryAffinityNet',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        size=(512, 512)),
    backbone=dict(
        type='ResNet', depth=50, out_indices=(0, 1, 2, 3), strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 1), norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True, style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    in_channels=(256, 512, 1024, 2048),
    in_index=(0, 1, 2, 3),
    channels=32,
    radius=10)
