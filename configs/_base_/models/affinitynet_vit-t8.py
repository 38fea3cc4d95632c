# The AffinityNet of SemFormer's authors (IRN's edge branch, ./affinitynet_r50.py)
# for the synthetic shape world on the shared backbone (./vit-t8_backbone.py, the
# stand-in for the authors' ImageNet ResNet-50), frozen like theirs: the stride-4 map
# of its conv stem and the outputs of blocks 3 and 6 (stride 8) -> 32 channels each
# -> a boundary map at stride 4 (16 x 16 on 64 x 64 images); training pairs within
# radius 4 of that grid (the authors: 10 of a 128 x 128 one; 4 is the radius of
# PSA's synthetic network). PSA's AffinityNet is ./affinitynet-psa_vit-t8.py.
_base_ = ['./affinitynet_r50.py', './vit-t8_pyramid.py']
boundary_affinity_net = dict(
    data_preprocessor=dict(size=(64, 64)),
    backbone=dict(_base_.vit_t8_pyramid, _delete_=True),
    in_channels=(64, 128, 128),
    in_index=(0, 1, 2),
    channels=32,
    radius=4)
