# MCTformer-V1 on PASCAL VOC 2012 trainaug (the authors' CVPR 2022 setting, as
# mctformer-v2_deit-s_8xb8-10k_voc12aug-224x224.py): class-token classification only; CAMs are the
# class-to-patch attention of the last 3 blocks (the authors' `--layer-index 3`)
# refined by the patch-to-patch attention of all 12.
#   bash tools/dist_train.sh configs/mctformer/mctformer-v1_deit-s_8xb8-10k_voc12aug-224x224.py 8
_base_ = ['./mctformer-v2_deit-s_8xb8-10k_voc12aug-224x224.py']
model = dict(
    decode_head=dict(patch_cam=False),
    test_cfg=dict(attn_layers=3, attention_type='mct'))
