# MCTformer-V1 on the synthetic shape world: class-token classification only; the
# CAMs are the class-to-patch attention of all 6 blocks (the authors: 12 of 12),
# refined by the patch-to-patch attention.
#   python tools/train.py configs/synthetic/mctformer-v1_cam.py
_base_ = ['./mctformer-v2_cam.py']
model = dict(
    decode_head=dict(patch_cam=False),
    test_cfg=dict(attn_layers=6, attention_type='mct'))
