# A model on the synthetic shape world with the synthetic-pretrained ViT-T/8
# (./vit-t8_backbone.py) and 64 x 64 inputs; a config adds the model type, the
# backbone's class tokens and the heads:
#   model = dict(type='MCTformer', backbone=dict(num_class_tokens=6), decode_head=...)
_base_ = ['./seg_data_preprocessor.py', './vit-t8_backbone.py']
model = dict(
    data_preprocessor=dict(_base_.seg_data_preprocessor, size=(64, 64)),
    backbone=_base_.vit_t8)
