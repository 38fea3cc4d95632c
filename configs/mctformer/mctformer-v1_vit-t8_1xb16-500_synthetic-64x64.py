# MCTformer-V1 on the synthetic shape world: class-token classification only; the
# CAMs are the class-to-patch attention of the last 3 blocks (the authors'
# `--layer-index 3`), refined by the patch-to-patch attention of all blocks.
#   python tools/train.py configs/mctformer/mctformer-v1_vit-t8_1xb16-500_synthetic-64x64.py
_base_ = ['./mctformer-v2_vit-t8_1xb16-500_synthetic-64x64.py']
model = dict(
    decode_head=dict(patch_cam=False),
    test_cfg=dict(attn_layers=3, attention_type='mct'))
