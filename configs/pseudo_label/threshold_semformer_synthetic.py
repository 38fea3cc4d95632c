# Pseudo labels of the synthetic train split from the saved CAMs (stage 3,
# configs/semformer/semformer_vit-t8_1xb25-cams_synthetic-train.py): background
# where every class map is <= bg_threshold, else the arg-max class, as VOC palette
# PNGs beside the dataset; scored against the train masks.
#   python tools/test.py configs/pseudo_label/threshold_semformer_synthetic.py
_base_ = [
    '../_base_/models/pseudo_label_generator.py',
    '../_base_/datasets/synthetic_shapes.py', 'mmseg::_base_/default_runtime.py'
]
data_root = 'data/synthetic/VOC2012'
cam_dir = data_root + '/CAMs/semformer'
name = 'threshold'
model = dict(bg_threshold=0.3, refiners=[])
# the dataset's test pipeline with the CAMs loaded
test_dataloader = dict(
    batch_size=1,
    dataset=dict(
        ann_file='ImageSets/Segmentation/train.txt',
        pipeline=[*_base_.test_pipeline[:2], dict(type='LoadCAMs', cam_dir=cam_dir),
                  *_base_.test_pipeline[2:]]))
test_evaluator = dict(type='PseudoLabelMetric', _delete_=True)
test_cfg = dict(out_dir=data_root + '/PseudoLabels/' + name)
train_dataloader = val_dataloader = val_evaluator = None
