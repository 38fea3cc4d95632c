# PASCAL VOC 2012 + SBD with image-level labels (K = 21, index 0 = background).
# Layout: data/VOCdevkit/VOC2012/{JPEGImages,Annotations,SegmentationClass,
# SegmentationClassAug,ImageSets/Segmentation/{train,trainaug,val}.txt}; labels are
# read from cls_labels.json (tools/make_image_labels.py) or the XML annotations.
# Training on trainaug (10,582 images); 448 crops of images whose long side is
# drawn from [224, 896].
_base_ = ['./image_labels.py']
train_dataloader = dict(
    dataset=dict(ann_file='ImageSets/Segmentation/trainaug.txt',
                 data_prefix=dict(seg_map_path='SegmentationClassAug')))
# CAM quality is measured on VOC `train` (1,464 images with pixel masks), as in the paper.
val_dataloader = dict(dataset=dict(ann_file='ImageSets/Segmentation/train.txt'))
test_dataloader = val_dataloader
