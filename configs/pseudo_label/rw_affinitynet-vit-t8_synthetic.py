# Pseudo labels from the random walk of the CAMs with the authors' AffinityNet
# (IRN's boundary network, configs/affinitynet/affinitynet_vit-t8_1xb16-600_synthetic-64x64.py),
# as in configs/pseudo_label/rw-crf_affinitynet-r50_voc12aug.py: beta 10, maps at
# stride 4 times (1 - boundary), divided by their global maximum, background score
# 0.25 (tools/run_pipeline.py sets it, as every labelling's, to the CAMs' best val
# threshold). Radius and steps follow the grid, 16 x 16 here against the authors' 128 x
# 128: radius 2 (half the training radius, as the authors' 5 of 10) and 2^4 steps
# (PSA's synthetic walk) against 2^8. PSA's walk:
# ./rw_affinitynet-psa-vit-t8_synthetic.py.
#   python tools/test.py configs/pseudo_label/rw_affinitynet-vit-t8_synthetic.py
_base_ = ['./threshold_semformer_synthetic.py', '../_base_/models/affinitynet_vit-t8.py']
name = 'rw'
affinity_checkpoint = 'work_dirs/affinitynet_vit-t8_1xb16-600_synthetic-64x64/iter_600.pth'
random_walk = dict(
    type='BoundaryRandomWalk', affinity_net={{_base_.boundary_affinity_net}},
    checkpoint=affinity_checkpoint, beta=10.0, exp_times=4, radius=2)
model = dict(bg_threshold=0.25, refiners=[random_walk])
test_cfg = dict(out_dir='data/synthetic/VOC2012/PseudoLabels/rw')
