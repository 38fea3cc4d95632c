# The MS COCO 2014 splits (./coco14_image_labels.py) as dataset dicts that replace
# the splits of an image-label config: training on train2014 (82,081 images with at
# least one annotation), in-training validation on the first 5,000 val images (ToCo's
# val_part, the first 5,000 of the same sorted list), testing on all 40,137. A COCO
# variant of a VOC config inherits it next to that config and sets
#   train_dataloader = dict(dataset=_base_.coco14_train)
#   val_dataloader = dict(dataset=_base_.coco14_val)
#   test_dataloader = dict(dataset=_base_.coco14_test)
# (`_delete_`: COCO has no XML annotations; each dict is merged once.)
coco14_train = dict(
    type='COCOImageLabelDataset', data_root='data/coco2014',
    ann_file='ImageSets/Segmentation/train.txt',
    data_prefix=dict(_delete_=True, img_path='train2014',
                     seg_map_path='SegmentationClass/train2014'))
coco14_test = dict(
    type='COCOImageLabelDataset', data_root='data/coco2014',
    ann_file='ImageSets/Segmentation/val.txt',
    data_prefix=dict(_delete_=True, img_path='val2014', seg_map_path='SegmentationClass/val2014'))
coco14_val = dict(coco14_test, indices=5000)
