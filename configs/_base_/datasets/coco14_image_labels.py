# MS COCO 2014 with image-level labels in the WSSS protocol (K = 81, index 0 =
# background, 1..80 the categories in category-id order, as AFA / ToCo / MCTformer).
# Prepare once (pip install pycocotools):
#   python tools/dataset_converters/coco_wsss.py data/coco2014
# Layout: data/coco2014/{train2014,val2014}/*.jpg, annotations/instances_*2014.json,
# and, written by the converter, SegmentationClass/{train2014,val2014}/*.png,
# ImageSets/Segmentation/{train,val}.txt (82,081 / 40,137 images with at least one
# annotation), cls_labels.json, classes.txt. Splits: ./coco14_splits.py.
_base_ = ['./image_labels.py', './coco14_splits.py']
dataset_type = 'COCOImageLabelDataset'
data_root = 'data/coco2014'
train_dataloader = dict(dataset=_base_.coco14_train)
val_dataloader = dict(dataset=_base_.coco14_val)
test_dataloader = dict(dataset=_base_.coco14_test)
