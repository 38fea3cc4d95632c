# PSA's AffinityNet (./affinitynet-psa_r50.py) for the synthetic shape world on the
# shared backbone (./vit-t8_backbone.py, the stand-in for PSA's ImageNet ResNet-38):
# the stride-4 map of its conv stem and the outputs of blocks 3 and 6 (stride 8),
# fused at stride 4 (16 x 16 features on 64 x 64 images), pairs within radius 4.
_base_ = ['./affinitynet-psa_r50.py', './vit-t8_pyramid.py']
affinity_net = dict(
    data_preprocessor=dict(size=(64, 64)),
    backbone=dict(_base_.vit_t8_pyramid, _delete_=True),
    in_channels=(64, 128, 128),
    channels=32,
    out_channels=64,
    radius=4)
