# PSA's AffinityNet (./affinitynet-psa_r50.py) for the synthetic shape world: a slim
# ResNetV1c-18 (widths 32-256, from scratch), stages 1-3 fused at stride 4 (16 x 16
# features on 64 x 64 images), pairs within radius 4.
_base_ = ['./affinitynet-psa_r50.py']
affinity_net = dict(
    data_preprocessor=dict(size=(64, 64)),
    backbone=dict(
        _delete_=True,
        type='ResNetV1c', depth=18, stem_channels=32, base_channels=32,
        out_indices=(0, 1, 2), num_stages=3, strides=(1, 2, 1), dilations=(1, 1, 2),
        norm_cfg=dict(type='BN', requires_grad=True)),
    in_channels=(32, 64, 128),
    channels=32,
    out_channels=64,
    radius=4)
