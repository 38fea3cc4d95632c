# Pseudo labels refined by a dense CRF (kernel sizes scaled to 64 x 64 images).
#   python tools/test.py configs/pseudo_label/crf_semformer_synthetic.py
_base_ = ['./threshold_semformer_synthetic.py']
name = 'crf'
crf = dict(type='DenseCRF', iterations=10, gaussian_sxy=3, gaussian_compat=3,
           bilateral_sxy=10, bilateral_srgb=10, bilateral_compat=10, gt_prob=0.7)
model = dict(refiners=[crf])
test_cfg = dict(out_dir='data/synthetic/VOC2012/PseudoLabels/crf')
