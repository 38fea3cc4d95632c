# Pseudo labels refined by a dense CRF (kernel sizes scaled to 64 x 64 images).
#   python tools/test.py configs/pseudo_label/crf_semformer_synthetic.py
_base_ = ['./threshold_semformer_synthetic.py', '../_base_/models/dense_crf_64px.py']
name = 'crf'
model = dict(refiners=[{{_base_.crf}}])
test_cfg = dict(out_dir='data/synthetic/VOC2012/PseudoLabels/crf')
