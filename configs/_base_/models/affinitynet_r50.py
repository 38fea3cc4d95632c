# The AffinityNet of SemFormer's authors (IRN's edge branch, Ahn et al. 2019): a
# frozen ResNet-50 (torchvision ImageNet weights, fixed BatchNorm), its four stages
# (strides 4, 8, 16, 16) -> 32 channels each -> a boundary map at stride 4;
# affinities = 1 - the largest boundary value on the path, pairs within radius 10.
# (The authors also feed the stem's output; mmseg's ResNet does not return it.)
# PSA's AffinityNet is ./affinitynet-psa_r50.py.
_base_ = ['./seg_data_preprocessor.py']
boundary_affinity_net = dict(
    type='BoundaryAffinityNet',
    data_preprocessor=dict(_base_.seg_data_preprocessor, size=(512, 512)),
    backbone=dict(
        type='ResNet', depth=50, out_indices=(0, 1, 2, 3), strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 1), norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True, style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    in_channels=(256, 512, 1024, 2048),
    in_index=(0, 1, 2, 3),
    channels=32,
    radius=10)
