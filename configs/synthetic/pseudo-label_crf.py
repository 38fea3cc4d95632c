# Pseudo labels refined by a dense CRF (kernel sizes scaled to 64 x 64 images).
_base_ = ['./pseudo-label_threshold.py']
name = 'crf'
crf = dict(type='DenseCRF', iterations=10, gaussian_sxy=3, gaussian_compat=3,
           bilateral_sxy=10, bilateral_srgb=10, bilateral_compat=10, gt_prob=0.7)
model = dict(refiners=[crf])
test_cfg = dict(out_dir='data/synthetic/VOC2012/PseudoLabels/crf')
