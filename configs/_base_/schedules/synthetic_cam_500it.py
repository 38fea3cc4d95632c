# The synthetic benchmark's CAM training (SemFormer stage 2, MCTformer and the plain
# CAM baseline, so that they compare under one budget): ./adamw-poly_500it.py with
# the pretrained backbone at 0.1 x lr and its class tokens (new, initialised from
# the cls token) at the full lr without weight decay; a log line every 25
# iterations and CAM overlays of 6 val images.
_base_ = ['./adamw-poly_500it.py']
optim_wrapper = dict(
    constructor='QuietOptimWrapperConstructor',
    paramwise_cfg=dict(custom_keys={
        'backbone': dict(lr_mult=0.1),
        'backbone.class_tokens': dict(lr_mult=1.0, decay_mult=0.0),
        'backbone.class_pos_embed': dict(lr_mult=1.0, decay_mult=0.0),
    }))
default_hooks = dict(logger=dict(interval=25))
custom_hooks = [dict(type='CAMVisualizationHook', num_images=6)]
