# The data preprocessor of the models on RGB images: mmseg's SegDataPreProcessor
# with ImageNet's mean and std, images padded with 0 and masks with 255 (ignored)
# up to `size`, which each model sets:
#   data_preprocessor=dict(_base_.seg_data_preprocessor, size=crop_size)
seg_data_preprocessor = dict(
    type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True, pad_val=0, seg_pad_val=255)
