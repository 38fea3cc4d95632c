# Pseudo labels from saved CAMs (stage 3's .npz files): background where every
# class map is <= bg_threshold, else the arg-max class, then the refiners; written
# as palette PNGs beside the dataset and scored against its masks. A test-only run,
# resumable, one file per image; no checkpoint, nothing is learned. A config sets
# the thresholds, the refiners, the split (`test_dataloader`, with LoadCAMs) and
# `test_cfg.out_dir`.
model = dict(
    type='PseudoLabelGenerator',
    data_preprocessor=dict(
        type='SegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1], bgr_to_rgb=True))
test_cfg = dict(type='ResumableTestLoop', save='labels')
train_cfg = optim_wrapper = val_cfg = None
# no trainable parameters, so no DDP: mmengine's wrapper that only wraps submodules
# with gradients (none here) lets dist_test.sh split the images
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')
