"""CAMVisualizationHook and CAAEReconstructionHook draw through the runner's
visualizer: every vis backend receives the image (LocalVisBackend writes it)."""
import glob
import itertools
import os.path as osp
from types import SimpleNamespace

import cv2
import numpy as np
import torch
from mmengine.logging import MMLogger
from mmengine.structures import PixelData
from mmengine.visualization import BaseVisBackend, Visualizer
from mmseg.registry import HOOKS, MODELS, VISBACKENDS
from mmseg.structures import SegDataSample

_names = itertools.count()


@VISBACKENDS.register_module(force=True)
class RecordingVisBackend(BaseVisBackend):
    """Stands for TensorBoard / W&B: keeps what it is given."""

    def __init__(self, save_dir=None):
        super().__init__(save_dir)
        self.images = []

    def _init_env(self):
        pass

    @property
    def experiment(self):
        return self

    def add_image(self, name, image, step=0, **kwargs):
        self.images.append((name, image.copy(), step))


def fake_runner(tmp_path, dataset=None, model=None, rank=0, iter=4):
    visualizer = Visualizer(
        name=f'hook_test_{next(_names)}', save_dir=str(tmp_path / 'log'),
        vis_backends=[dict(type='LocalVisBackend'), dict(type='RecordingVisBackend')])
    loader = SimpleNamespace(dataset=dataset)
    return SimpleNamespace(rank=rank, iter=iter, work_dir=str(tmp_path), model=model,
                           visualizer=visualizer, val_dataloader=loader,
                           test_dataloader=loader, logger=MMLogger.get_current_instance())


def local_pngs(tmp_path, name):
    return sorted(glob.glob(osp.join(tmp_path, 'log', 'vis_data', 'vis_image', name)))


def recorded(runner):
    return runner.visualizer.get_backend('RecordingVisBackend').images


# ---------------------------------------------------------------- CAM overlays
K, H, W = 3, 16, 24
META = dict(classes=('background', 'a', 'b'), palette=[[0, 0, 0], [255, 0, 0], [0, 255, 0]])


def cam_batch(n, plain=False):
    torch.manual_seed(0)
    inputs = torch.randint(0, 255, (n, 3, H, W), dtype=torch.uint8)
    outputs = []
    for _ in range(n):
        s = SegDataSample()
        cams = torch.rand(K, H, W)
        cams[0] = 0
        s.pred_cams = PixelData(data=cams)
        if plain:
            s.pred_cams_plain = PixelData(data=cams / 2)
        s.gt_sem_seg = PixelData(data=torch.randint(0, K, (1, H, W)))
        outputs.append(s)
    return dict(inputs=list(inputs)), outputs


def test_cam_overlays_go_to_every_backend(tmp_path):
    hook = HOOKS.build(dict(type='CAMVisualizationHook', num_images=3))
    runner = fake_runner(tmp_path, dataset=SimpleNamespace(metainfo=META))
    hook.before_val_epoch(runner)
    for i in range(2):  # 2 + 2 images offered, 3 drawn
        hook.after_val_iter(runner, i, *cam_batch(2, plain=True))
    hook.after_val_epoch(runner)
    (name, image, step), = recorded(runner)
    assert (name, step) == ('val_cams', 4)
    # 3 images x (CRA row + plain row); image | GT | 2 classes
    assert image.dtype == np.uint8 and image.shape == (3 * 2 * H, 4 * W, 3)
    # the first image's rows: image | GT | a | b, then image | a | b (the plain maps)
    cra, plain = image[:H], image[H:2 * H]
    assert not np.array_equal(cra[12:, 2 * W:], plain[12:, W:3 * W])  # CRA vs plain
    png, = local_pngs(tmp_path, 'val_cams_4.png')
    assert np.array_equal(cv2.imread(png)[..., ::-1], image)  # written as RGB
    assert not osp.exists(osp.join(tmp_path, 'cams'))  # no file of its own

    hook.before_test_epoch(runner)
    hook.after_test_iter(runner, 0, *cam_batch(1))
    runner.iter = 0
    hook.after_test_epoch(runner)
    assert recorded(runner)[-1][0::2] == ('test_cams', 0)
    assert recorded(runner)[-1][1].shape == (H, 4 * W, 3)
    assert local_pngs(tmp_path, 'test_cams_0.png')


def test_cam_hook_draws_nothing_off_the_main_process_or_without_maps(tmp_path):
    hook = HOOKS.build(dict(type='CAMVisualizationHook'))
    runner = fake_runner(tmp_path, dataset=SimpleNamespace(metainfo=META), rank=1)
    hook.before_val_epoch(runner)
    hook.after_val_iter(runner, 0, *cam_batch(2))
    hook.after_val_epoch(runner)
    runner.rank = 0
    data, outputs = cam_batch(2)
    for s in outputs:
        del s.pred_cams
    hook.before_val_epoch(runner)
    hook.after_val_iter(runner, 0, data, outputs)
    hook.after_val_epoch(runner)
    assert not recorded(runner) and not local_pngs(tmp_path, '*.png')


def test_cam_hook_draws_an_image_resized_by_the_pipeline_at_the_maps_size(tmp_path):
    # the network saw the image at half its size (a test-time Resize); the maps
    # and masks are at the image's own size, the image panel is enlarged to it
    hook = HOOKS.build(dict(type='CAMVisualizationHook', num_images=1))
    runner = fake_runner(tmp_path, dataset=SimpleNamespace(metainfo=META))
    _, outputs = cam_batch(1)
    small = torch.zeros(3, H // 2, W // 2, dtype=torch.uint8)
    small[2] = 200  # red, loaded as BGR
    outputs[0].set_metainfo(dict(img_shape=(H // 2, W // 2), ori_shape=(H, W)))
    hook.before_val_epoch(runner)
    hook.after_val_iter(runner, 0, dict(inputs=[small]), outputs)
    hook.after_val_epoch(runner)
    (_, image, _), = recorded(runner)
    assert image.shape == (H, 4 * W, 3)
    assert (image[:, :W, 0] == 200).all() and (image[:, :W, 1:] == 0).all()


def test_cam_row_pads_heat_maps_so_later_panels_line_up():
    from semformer.visualization import cam_row
    image = np.full((H, W, 3), 100, np.uint8)
    cams = np.zeros((K, H, W), np.float32)
    cams[2, :4, :4] = 1.0  # only class 'b' has a map
    pred = np.full((H, W), 2)
    row = cam_row(image, cams, META['classes'], META['palette'], pred=pred, num_slots=2)
    # image | heat map of 'b' | black padding | pred, which starts at the same
    # column as in a row with two maps
    assert row.shape == (H, 4 * W, 3)
    assert not row[:, 2 * W:3 * W].any()
    assert (row[H - 1, 3 * W + W // 2] == [0, 255, 0]).all()  # 'b' in its colour
    assert cam_row(image, cams, META['classes'], META['palette'], pred=pred).shape == \
        (H, 3 * W, 3)  # no padding by default
    # a background-only map: nothing to draw, padding only
    row = cam_row(image, cams[:1], META['classes'], META['palette'], num_slots=1)
    assert row.shape == (H, 2 * W, 3) and not row[:, W:].any()


# ------------------------------------------------------ CAAE reconstructions
S = 32


def tiny_caae(decoder=True):
    cfg = dict(
        type='ClassAwareAutoEncoder', num_classes=3, class_dim=4,
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[100.0, 110.0, 120.0],
                               std=[50.0, 60.0, 70.0], bgr_to_rgb=True),
        encoder=dict(type='MultiClassTokenViT', img_size=S, patch_size=8, out_type='raw',
                     arch=dict(embed_dims=16, num_layers=1, num_heads=2,
                               feedforward_channels=32)),
        decoder=dict(embed_dims=16, num_layers=1, num_heads=2) if decoder else None)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model.eval()


def image_dataset(n, sizes=(S, )):
    """n images, their sides cycling through ``sizes``."""
    torch.manual_seed(1)
    items = []
    for i in range(n):
        h = sizes[i % len(sizes)]
        s = SegDataSample(metainfo=dict(img_shape=(h, S), ori_shape=(h, S)))
        items.append(dict(inputs=torch.randint(0, 255, (3, h, S), dtype=torch.uint8),
                          data_samples=s))
    return items


def test_reconstructions_go_to_every_backend(tmp_path):
    model = tiny_caae()
    hook = HOOKS.build(dict(type='CAAEReconstructionHook', num_images=3))
    dataset = image_dataset(5)
    runner = fake_runner(tmp_path, dataset=dataset, model=model, iter=6)
    hook.after_val_epoch(runner)
    (name, image, step), = recorded(runner)
    assert (name, step) == ('val_reconstructions', 6)
    assert image.dtype == np.uint8 and image.shape == (2 * S, 3 * S, 3)
    # the top row is the input, as RGB (the preprocessor turns BGR into RGB)
    first = dataset[0]['inputs'].permute(1, 2, 0).numpy()[..., ::-1]
    assert np.abs(image[:S, :S].astype(int) - first.astype(int)).max() <= 1
    # the bottom row is the CAAE's output, not the input again
    assert np.abs(image[S:, :S].astype(int) - first.astype(int)).mean() > 5
    assert local_pngs(tmp_path, 'val_reconstructions_6.png')
    assert not osp.exists(osp.join(tmp_path, 'reconstructions'))


def test_reconstructions_of_a_dataset_of_mixed_sizes_use_the_first_ones_size(tmp_path):
    model = tiny_caae()
    hook = HOOKS.build(dict(type='CAAEReconstructionHook', num_images=3))
    dataset = image_dataset(8, sizes=(S, 2 * S))  # sizes S, 2S, S, 2S, ...
    runner = fake_runner(tmp_path, dataset=dataset, model=model, iter=2)
    hook.after_val_epoch(runner)
    (_, image, _), = recorded(runner)
    assert image.shape == (2 * S, 3 * S, 3)  # images 0, 2 and 4
    third = dataset[4]['inputs'].permute(1, 2, 0).numpy()[..., ::-1]
    assert np.abs(image[:S, 2 * S:].astype(int) - third.astype(int)).max() <= 1


def test_no_reconstructions_without_decoder_or_off_the_main_process(tmp_path):
    hook = HOOKS.build(dict(type='CAAEReconstructionHook'))
    runner = fake_runner(tmp_path, dataset=image_dataset(2), model=tiny_caae(False))
    hook.after_val_epoch(runner)
    runner.model, runner.rank = tiny_caae(), 1
    hook.after_val_epoch(runner)
    assert not recorded(runner) and not local_pngs(tmp_path, '*.png')
