# The shared ViT (./vit-t8_backbone.py) as the AffinityNets read it
# (./affinitynet_vit-t8.py, ./affinitynet-psa_vit-t8.py): the conv stem's stride-4
# map (64 channels, 16 x 16 on 64 x 64 images), then blocks 3 and 6 (128 channels,
# 8 x 8).
_base_ = ['./vit-t8_backbone.py']
vit_t8_pyramid = dict(_base_.vit_t8, num_class_tokens=0, out_type='featmap',
                      out_indices=(2, 5), stem_out_indices=(11, ), final_norm=False)
