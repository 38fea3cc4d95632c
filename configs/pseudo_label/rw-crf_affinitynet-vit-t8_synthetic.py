# The paper's pseudo labels on the synthetic world: the authors' random walk
# (./rw_affinitynet-vit-t8_synthetic.py), then the synthetic chain's dense CRF
# (../_base_/models/dense_crf_64px.py).
#   python tools/test.py configs/pseudo_label/rw-crf_affinitynet-vit-t8_synthetic.py
_base_ = ['./rw_affinitynet-vit-t8_synthetic.py', '../_base_/models/dense_crf_64px.py']
name = 'rw-crf'
model = dict(refiners=[{{_base_.random_walk}}, {{_base_.crf}}])
test_cfg = dict(out_dir='data/synthetic/VOC2012/PseudoLabels/rw-crf')
