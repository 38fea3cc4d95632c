# DeiT-S (mmpretrain's ImageNet-1k checkpoint) as a MultiClassTokenViT with patch 16,
# returning all tokens; models add their class tokens (copies of the pretrained cls
# token) and input size: backbone=dict(_base_.deit_s, num_class_tokens=21, img_size=448)
deit_s = dict(
    type='MultiClassTokenViT',
    arch='deit-small',
    patch_size=16,
    out_type='raw',
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://download.openmmlab.com/mmclassification/v0/deit/deit-small_pt-4xb256_in1k_20220218-9425b9bb.pth',  # noqa
        prefix='backbone.'))
