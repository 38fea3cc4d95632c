# Pseudo labels from PSA's random walk, then a dense CRF (the alternative to the
# authors' chain, ./rw-crf_affinitynet-vit-t8_synthetic.py).
#   python tools/test.py configs/pseudo_label/rw-crf_affinitynet-psa-vit-t8_synthetic.py
_base_ = ['./rw_affinitynet-psa-vit-t8_synthetic.py']
name = 'rw-psa-crf'
crf = dict(type='DenseCRF', iterations=10, gaussian_sxy=3, gaussian_compat=3,
           bilateral_sxy=10, bilateral_srgb=10, bilateral_compat=10, gt_prob=0.7)
model = dict(refiners=[{{_base_.random_walk}}, crf])
test_cfg = dict(out_dir='data/synthetic/VOC2012/PseudoLabels/rw-psa-crf')
