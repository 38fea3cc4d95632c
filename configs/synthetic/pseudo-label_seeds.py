# The AffinityNet's training labels (IRN's confident regions): CRF-refined
# foreground at bg_threshold, CRF-refined background at confident_bg_threshold,
# 255 (ignore) where the two disagree.
_base_ = ['./pseudo-label_crf.py']
name = 'seeds'
model = dict(confident_bg_threshold=0.05)
test_cfg = dict(out_dir='data/synthetic/VOC2012/PseudoLabels/seeds')
