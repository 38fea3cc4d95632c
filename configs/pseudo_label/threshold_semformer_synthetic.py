# Pseudo labels of the synthetic train split from the saved CAMs (stage 3,
# configs/semformer/semformer_vit-t8_1xb25-cams_synthetic-train.py): background
# where every class map is <= bg_threshold, else the arg-max class, as VOC palette
# PNGs beside the dataset; scored against the train masks. The refiners run at
# the models' scale (a long side of 64 px, `work_size`), the labels at each
# image's own size.
#   python tools/test.py configs/pseudo_label/threshold_semformer_synthetic.py
_base_ = [
    '../_base_/models/pseudo_label_generator.py',
    '../_base_/datasets/synthetic_shapes.py', 'mmseg::_base_/default_runtime.py'
]
data_root = 'data/synthetic/VOC2012'
cam_dir = data_root + '/CAMs/semformer'
name = 'threshold'
model = dict(bg_threshold=0.3, refiners=[], work_size=64)
# images, masks and CAMs at their own size
test_dataloader = dict(
    batch_size=1,
    dataset=dict(
        ann_file='ImageSets/Segmentation/train.txt',
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='LoadCAMs', cam_dir=cam_dir),
            dict(type='PackImageLabelInputs'),
        ]))
test_evaluator = dict(type='PseudoLabelMetric', _delete_=True)
test_cfg = dict(out_dir=data_root + '/PseudoLabels/' + name)
train_dataloader = val_dataloader = val_evaluator = None
