# Stage 4a on PASCAL VOC: the AffinityNet's training labels from the trainaug CRA
# maps, as SemFormer's authors make them (make_affinity_labels.py): two dense-CRF
# labellings with background scores 0.11 and 0.15; the first one's foreground is
# kept, its background only where the second agrees, 255 (ignore) elsewhere.
# IRN's values for other maps (same rule): bg_threshold=0.30,
# confident_bg_threshold=0.05.
#   python tools/test.py configs/pseudo_label/seeds-crf_semformer_voc12aug.py
_base_ = [
    '../_base_/models/pseudo_label_generator.py',
    '../_base_/datasets/voc12_image_labels.py', 'mmseg::_base_/default_runtime.py'
]
data_root = 'data/VOCdevkit/VOC2012'
cam_dir = data_root + '/CAMs/semformer'
crf = dict(type='DenseCRF', iterations=10, gaussian_sxy=3, gaussian_compat=3,
           bilateral_sxy=50, bilateral_srgb=5, bilateral_compat=10, gt_prob=0.7)
model = dict(
    bg_threshold=0.11, confident_bg_threshold=0.15, combine='foreground', refiners=[crf])
# the dataset's test pipeline with the CAMs loaded
test_dataloader = dict(
    batch_size=1,
    dataset=dict(
        ann_file='ImageSets/Segmentation/trainaug.txt',
        data_prefix=dict(seg_map_path='SegmentationClassAug'),
        pipeline=[*_base_.test_pipeline[:2], dict(type='LoadCAMs', cam_dir=cam_dir),
                  *_base_.test_pipeline[2:]]))
test_evaluator = dict(type='PseudoLabelMetric', _delete_=True)
test_cfg = dict(out_dir=data_root + '/PseudoLabels/seeds')
train_dataloader = val_dataloader = val_evaluator = None
