# Stage 4a on PASCAL VOC: the AffinityNet's training labels from the trainaug CRA
# maps, as SemFormer's authors make them (make_affinity_labels.py): two dense-CRF
# labellings with background scores 0.11 and 0.15; the first one's foreground is
# kept, its background only where the second agrees, 255 (ignore) elsewhere.
# IRN's values for other maps (same rule): bg_threshold=0.30,
# confident_bg_threshold=0.05.
#   python tools/test.py configs/pseudo_label/seeds-crf_semformer_voc12aug.py
_base_ = [
    '../_base_/datasets/voc12_image_labels.py', 'mmseg::_base_/default_runtime.py'
]
data_root = 'data/VOCdevkit/VOC2012'
cam_dir = data_root + '/CAMs/semformer'
crf = dict(type='DenseCRF', iterations=10, gaussian_sxy=3, gaussian_compat=3,
           bilateral_sxy=50, bilateral_srgb=5, bilateral_compat=10, gt_prob=0.7)
model = dict(
    type='PseudoLabelGenerator',
    data_preprocessor=dict(
        type='SegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1], bgr_to_rgb=True),
    bg_threshold=0.11,
    confident_bg_threshold=0.15,
    combine='foreground',
    refiners=[crf])
test_dataloader = dict(
    batch_size=1,
    dataset=dict(
        ann_file='ImageSets/Segmentation/trainaug.txt',
        data_prefix=dict(seg_map_path='SegmentationClassAug'),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='LoadCAMs', cam_dir=cam_dir),
            dict(type='PackImageLabelInputs'),
        ]))
test_evaluator = dict(type='PseudoLabelMetric', _delete_=True)
test_cfg = dict(type='ResumableTestLoop', save='labels',
                out_dir=data_root + '/PseudoLabels/seeds')
train_dataloader = train_cfg = optim_wrapper = None
# no trainable parameters, so no DDP: mmengine's wrapper that only wraps submodules
# with gradients (none here) lets dist_test.sh split the images
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')
val_dataloader = val_cfg = val_evaluator = None
