# Pseudo labels refined by PAR (AFA's pixel-adaptive refinement; dilations scaled to
# 64 x 64 images).
#   python tools/test.py configs/pseudo_label/par_semformer_synthetic.py
_base_ = ['./threshold_semformer_synthetic.py']
name = 'par'
model = dict(refiners=[dict(type='PAR', dilations=(1, 2, 4, 8), iterations=10)])
test_cfg = dict(out_dir='data/synthetic/VOC2012/PseudoLabels/par')
