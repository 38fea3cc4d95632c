# Pseudo labels from PSA's AffinityNet random walk of the CAMs (the alternative to
# the authors' boundary network, ./rw_affinitynet-vit-t8_synthetic.py); needs the
# trained PSA AffinityNet
# (configs/affinitynet/affinitynet-psa_vit-t8_1xb16-600_synthetic-64x64.py).
# PSA's background, (1 - max_c cam_c)^16, is walked with the classes; 2^4 steps.
#   python tools/test.py configs/pseudo_label/rw_affinitynet-psa-vit-t8_synthetic.py
_base_ = ['./threshold_semformer_synthetic.py', '../_base_/models/affinitynet-psa_vit-t8.py']
name = 'rw-psa'
affinity_checkpoint = 'work_dirs/affinitynet-psa_vit-t8_1xb16-600_synthetic-64x64/iter_600.pth'
random_walk = dict(
    type='RandomWalk', affinity_net={{_base_.affinity_net}},
    checkpoint=affinity_checkpoint, beta=8.0, log_steps=4, bg_power=16.0)
model = dict(refiners=[random_walk])
test_cfg = dict(out_dir='data/synthetic/VOC2012/PseudoLabels/rw-psa')
