# Stand-in for ImageNet pretraining, step 3: step 2's multi-label training
# (vit-t8_1xb32-6k-multilabel_synthetic-pretrain-multi-64x64.py: same data, loss,
# optimizer, batch 32, 200 warm-up iterations and cosine to 1e-5 over 6,000
# iterations) run once more from step 2's last checkpoint, classifier included.
# Val mAP over the 32 classes goes from step 2's 44.7 to 59.1 (24 min on 2 CPU
# cores). Step 4 (vit-t8_1xb32-6k-multilabel-step4_...) starts from its last checkpoint.
#   python tools/train.py configs/pretrain/vit-t8_1xb32-6k-multilabel-step3_synthetic-pretrain-multi-64x64.py
_base_ = ['./vit-t8_1xb32-6k-multilabel_synthetic-pretrain-multi-64x64.py']
load_from = ('work_dirs/vit-t8_1xb32-6k-multilabel_synthetic-pretrain-multi-64x64/'
             'iter_6000.pth')
