# Pseudo labels from PSA's random walk, then a dense CRF (the alternative to the
# authors' chain, ./rw-crf_affinitynet-vit-t8_synthetic.py).
#   python tools/test.py configs/pseudo_label/rw-crf_affinitynet-psa-vit-t8_synthetic.py
_base_ = ['./rw_affinitynet-psa-vit-t8_synthetic.py', '../_base_/models/dense_crf_64px.py']
name = 'rw-psa-crf'
model = dict(refiners=[{{_base_.random_walk}}, {{_base_.crf}}])
test_cfg = dict(out_dir='data/synthetic/VOC2012/PseudoLabels/rw-psa-crf')
