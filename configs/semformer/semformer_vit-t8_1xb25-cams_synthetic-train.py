# Stage 3 on the synthetic shape world: the CAMs (4 scales + flip + CRA, and the
# maps without CRA) of every train image, one .npz per image beside the dataset.
# Resumable; under tools/dist_test.sh every image is written by one process.
#   python tools/test.py configs/semformer/semformer_vit-t8_1xb25-cams_synthetic-train.py \
#       work_dirs/pipeline/cam/iter_500.pth
# The CAM mIoU of the train split (CAMMetric) is reported at the end.
_base_ = ['./semformer_vit-t8_1xb16-500_synthetic-64x64.py']
test_dataloader = dict(
    dataset=dict(ann_file='ImageSets/Segmentation/train.txt'))
test_cfg = dict(
    type='ResumableTestLoop', save='cams',
    out_dir='data/synthetic/VOC2012/CAMs/semformer')
