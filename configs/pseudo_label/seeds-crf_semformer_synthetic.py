# The AffinityNet's training labels (IRN's confident regions): CRF-refined
# foreground at bg_threshold, CRF-refined background at confident_bg_threshold,
# 255 (ignore) where the two disagree.
#   python tools/test.py configs/pseudo_label/seeds-crf_semformer_synthetic.py
_base_ = ['./crf_semformer_synthetic.py']
name = 'seeds'
model = dict(confident_bg_threshold=0.05)
test_cfg = dict(out_dir='data/synthetic/VOC2012/PseudoLabels/seeds')
