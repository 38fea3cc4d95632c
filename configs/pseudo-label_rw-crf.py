# Stage 4c on PASCAL VOC, the paper's pseudo masks: AffinityNet random walk of the
# trainaug CAMs (beta 8, 2^8 steps, as PSA), then a dense CRF; PNGs in
# data/VOCdevkit/VOC2012/PseudoLabels/rw-crf for configs/semformer_deeplabv3plus.py.
#   python tools/test.py configs/pseudo-label_rw-crf.py
_base_ = ['./pseudo-label_seeds.py', './_base_/models/affinitynet_r50.py']
random_walk = dict(
    type='RandomWalk', affinity_net={{_base_.affinity_net}},
    checkpoint='work_dirs/affinitynet_r50_voc12aug/iter_10580.pth', beta=8.0,
    log_steps=8)
model = dict(bg_threshold=0.2, confident_bg_threshold=None,
             refiners=[random_walk, {{_base_.crf}}])
test_cfg = dict(out_dir='data/VOCdevkit/VOC2012/PseudoLabels/rw-crf')
