# Stage 3 on PASCAL VOC: the CAMs (4 scales + flip, CRA, and the maps without CRA)
# of every trainaug image, one .npz per image in data/VOCdevkit/VOC2012/CAMs/
# semformer, scored against SegmentationClassAug. Resumable; with N GPUs:
#   bash tools/dist_test.sh configs/semformer/semformer_deit-s_8xb1-cams_voc12aug.py \
#       work_dirs/semformer_deit-s_1xb8-26k_voc12aug-448x448/iter_26460.pth 8
_base_ = ['./semformer_deit-s_1xb8-26k_voc12aug-448x448.py']
test_dataloader = dict(
    batch_size=1,
    dataset=dict(
        ann_file='ImageSets/Segmentation/trainaug.txt',
        data_prefix=dict(seg_map_path='SegmentationClassAug')))
test_cfg = dict(
    type='ResumableTestLoop', save='cams', out_dir='data/VOCdevkit/VOC2012/CAMs/semformer')
