# Stage 5 on PASCAL VOC: MMSegmentation's DeepLabV3+ ResNet-101 VOC-aug config,
# unchanged except for the training masks: the trainaug pseudo labels
# (configs/pseudo_label/rw-crf_affinitynet-r50_voc12aug.py) instead of the ground truth. Evaluation on val
# with mmseg's IoUMetric; `tools/test.py ... --tta` for multi-scale + flip.
#   bash tools/dist_train.sh configs/deeplabv3plus/deeplabv3plus_r101-d8_4xb4-40k_voc12aug-pseudo-label-512x512.py 4
#   bash tools/dist_test.sh configs/deeplabv3plus/deeplabv3plus_r101-d8_4xb4-40k_voc12aug-pseudo-label-512x512.py \
#       work_dirs/deeplabv3plus_r101-d8_4xb4-40k_voc12aug-pseudo-label-512x512/iter_40000.pth 4 --tta
_base_ = ['mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-40k_voc12aug-512x512.py']
custom_imports = dict(imports=['semformer'], allow_failed_imports=False)
pseudo_labels = 'PseudoLabels/rw-crf'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='PascalVOCDataset',
        data_root='data/VOCdevkit/VOC2012',
        data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo_labels),
        ann_file='ImageSets/Segmentation/trainaug.txt',
        pipeline={{_base_.train_pipeline}}))
