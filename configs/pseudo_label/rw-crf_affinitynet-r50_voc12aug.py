# Stage 4c on PASCAL VOC, the paper's pseudo masks as the authors make them
# (inference_rw.py, make_pseudo_labels.py): random walk of the trainaug CRA maps
# with the boundary AffinityNet (beta 10, 2^8 steps, radius 5, maps times 1 - edge
# at stride 4, divided by their global maximum), background score 0.25, one
# dense-CRF iteration; PNGs in data/VOCdevkit/VOC2012/PseudoLabels/rw-crf for
# configs/deeplabv3plus/deeplabv3plus_r101-d8_4xb4-40k_voc12aug-pseudo-label-512x512.py. The PSA walk (beta 8, 2^8 steps over the PSA
# AffinityNet of configs/affinitynet/affinitynet-psa_r50_4xb2-10k_voc12aug-448x448.py) is `RandomWalk`.
#   python tools/test.py configs/pseudo_label/rw-crf_affinitynet-r50_voc12aug.py
_base_ = ['./seeds-crf_semformer_voc12aug.py', '../_base_/models/affinitynet_r50.py']
random_walk = dict(
    type='BoundaryRandomWalk', affinity_net={{_base_.boundary_affinity_net}},
    checkpoint='work_dirs/affinitynet_r50_4xb8-1k_voc12aug-512x512/iter_990.pth', beta=10.0,
    exp_times=8, radius=5)
crf = dict(
    type='DenseCRF', iterations=1, gaussian_sxy=3, gaussian_compat=3,
    bilateral_sxy=50, bilateral_srgb=5, bilateral_compat=10, gt_prob=0.7)
model = dict(bg_threshold=0.25, confident_bg_threshold=None, combine='agree',
             refiners=[random_walk, crf])
test_cfg = dict(out_dir='data/VOCdevkit/VOC2012/PseudoLabels/rw-crf')
