# SemFormer stage 1 (the CAAE, ./caae_deit-b.py) for the synthetic shape world: the
# synthetic-pretrained ViT-T/8 (./vit-t8_backbone.py) as the encoder, K = 7, D = 64,
# decoder 128 x 2, 64 x 64 inputs.
_base_ = ['./caae_deit-b.py', './vit-t8_backbone.py']
model = dict(
    data_preprocessor=dict(size=(64, 64)),
    num_classes=7,
    class_dim=64,
    encoder=dict(_base_.vit_t8, _delete_=True, num_class_tokens=0),
    decoder=dict(embed_dims=128, num_layers=2, num_heads=4))
