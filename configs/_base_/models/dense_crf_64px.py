# The dense CRF of the synthetic chain's pseudo labels: IRN's label unary (arg-max
# at confidence 0.7), 10 mean-field iterations, kernel sizes scaled to 64 x 64 images
# (the authors' VOC chain: bilateral sxy 50 / srgb 5 on 512-pixel images).
crf = dict(type='DenseCRF', iterations=10, gaussian_sxy=3, gaussian_compat=3,
           bilateral_sxy=10, bilateral_srgb=10, bilateral_compat=10, gt_prob=0.7)
