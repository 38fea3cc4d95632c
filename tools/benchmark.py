"""Speed and memory of the three SemFormer workloads, ours and (optionally) the
authors' code side by side, on the CPU.

Workloads (the shapes of ../shared/reference/official-bench/bench_official.py):
  stage2  one training step (forward, five losses, backward, SGD step) of the paper
          segmentation network (DeiT-S, K = 21, D = 256) at batch B x 448 with the
          frozen CAAE (DeiT-B distilled; decoder 768 x 8 built in the official code,
          not needed in ours) at 224; labels: background + 1-2 random classes
  cam     CAMs of one 320 x 480 image: scales 0.5/1/1.5/2 + flip, CRA over 4 blocks
  caae    one CAAE training step at batch 8 x 224 (similarity + reconstruction)
Random weights and inputs, ``--threads`` threads, ``--warmup`` untimed runs, then the
median of ``--repeats``. Every section runs in its own process, so its peak RSS is its
own. The machine's matmul speed is measured in the same run (2048^3, float32 and
bfloat16), and each section's achieved GFLOP/s is 2 x its multiply-adds / time, the
multiply-adds counted with mmengine's FlopAnalyzer (attention included): a training
step counts 3 x the forward of the trained network (backward ~ 2 x forward) and 2 x
the forward of the frozen CAAE (input gradients only).

    python tools/benchmark.py                              # float32 and bf16 autocast
    REF_ROOT=/work/ref python tools/benchmark.py --vs-official
"""
import argparse
import json
import os
import os.path as osp
import resource
import statistics
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
OFFICIAL = osp.join(osp.dirname(ROOT), 'shared', 'reference', 'official-bench',
                    'bench_official.py')
SECTIONS = ('stage2', 'cam', 'caae')
LABELS = {'stage2': 's/step', 'cam': 's/image', 'caae': 's/step'}


def timed(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def autocast(dtype):
    import torch
    from contextlib import nullcontext
    return torch.autocast('cpu', dtype=torch.bfloat16) if dtype == 'bfloat16' else nullcontext()


def count_macs(module, fn, inputs):
    """Multiply-adds of ``fn(module, *inputs)`` (float32 trace)."""
    import torch
    from mmengine.analysis import FlopAnalyzer

    sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
    from get_flops import sdpa_flop_jit

    class Wrap(torch.nn.Module):

        def __init__(self):
            super().__init__()
            self.module = module

        def forward(self, *x):
            return fn(self.module, *x)

    flops = FlopAnalyzer(Wrap().eval(), inputs).set_op_handle(
        'aten::scaled_dot_product_attention', sdpa_flop_jit)
    flops.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    return flops.total()


def build(config, key=None, **changes):
    from mmengine.config import Config
    from mmseg.registry import MODELS
    cfg = Config.fromfile(osp.join(ROOT, config))
    model = cfg.model
    for part in ('backbone', 'encoder'):
        if part in model:
            model[part].init_cfg = None
    if 'caae' in model:
        model.caae.encoder.init_cfg = None
        model.caae_checkpoint = None
    model.update(changes)
    return MODELS.build(model), cfg


def samples_with_labels(B, K, size, gen):
    import torch
    from mmseg.structures import SegDataSample
    samples = []
    for _ in range(B):
        y = torch.zeros(K)
        y[0] = 1
        n = int(torch.randint(1, 3, (1, ), generator=gen))
        y[1 + torch.randperm(K - 1, generator=gen)[:n]] = 1
        s = SegDataSample(metainfo=dict(img_shape=size, ori_shape=size, pad_shape=size,
                                        padding_size=(0, 0, 0, 0)))
        s.gt_image_labels = y
        samples.append(s)
    return samples


def section_stage2(a):
    import torch
    from mmengine.optim import build_optim_wrapper
    model, cfg = build('configs/semformer/semformer_deit-s_1xb8-26k_voc12aug-448x448.py')
    model.caae_input_size = (a.ae_image_size, a.ae_image_size)
    model.train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(a.batch, 3, a.image_size, a.image_size, generator=gen)
    samples = samples_with_labels(a.batch, 21, (a.image_size, a.image_size), gen)

    def step():
        with autocast(a.dtype):
            losses = model.loss(x, samples)
        optim.update_params(sum(losses.values()))
        return losses

    median, times = timed(step, a.warmup, a.repeats)
    pairs = int(sum(s.gt_image_labels.sum() for s in samples))
    seg = count_macs(model, lambda m, t: m._forward(t), (x[:1], )) * a.batch
    caae = count_macs(model.caae, lambda m, t: m.class_embeddings(t),
                      (torch.zeros(1, 3, a.ae_image_size, a.ae_image_size), ))
    macs = 3 * seg + 2 * caae * 2 * pairs
    return dict(seconds=median, times=times, macs=macs, pairs=pairs,
                losses={k: float(v) for k, v in step().items()})


def section_cam(a):
    import torch
    model, _ = build('configs/semformer/semformer_deit-s_1xb8-26k_voc12aug-448x448.py')
    model.eval()
    model.test_cfg.update(autocast_dtype='bfloat16' if a.dtype == 'bfloat16' else None,
                          keep_plain=False)
    gen = torch.Generator().manual_seed(0)
    size = (a.cam_h, a.cam_w)
    x = torch.randn(1, 3, *size, generator=gen)
    samples = samples_with_labels(1, 21, size, gen)

    def run():
        with torch.no_grad():
            return model.predict(x, samples)

    median, times = timed(run, a.warmup, a.repeats)
    P = model.patch_size
    macs = 0
    for s in model.test_cfg['scales']:
        h, w = (max(P, round(v * s / P) * P) for v in size)
        macs += 2 * count_macs(model, lambda m, t: m._forward(t), (torch.zeros(1, 3, h, w), ))
    return dict(seconds=median, times=times, macs=macs)


def section_caae(a):
    import torch
    from mmengine.optim import build_optim_wrapper
    model, cfg = build('configs/semformer/caae_deit-b-d_8xb8-33k_voc12aug-224x224.py')
    model.train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    gen = torch.Generator().manual_seed(0)
    size = (a.caae_image_size, a.caae_image_size)
    x = torch.randn(a.caae_batch, 3, *size, generator=gen)
    samples = samples_with_labels(a.caae_batch, 21, size, gen)

    def step():
        with autocast(a.dtype):
            losses = model.loss(x, samples)
        optim.update_params(sum(losses.values()))

    median, times = timed(step, a.warmup, a.repeats)

    def full(m, t):
        tokens, hw = m.primary_tokens(t)
        return m.reconstruct(tokens, hw)

    macs = 3 * count_macs(model, full, (x[:1], )) * a.caae_batch
    return dict(seconds=median, times=times, macs=macs)


def section_matmul(a):
    import torch
    n = 2048
    out = {}
    for dtype in ('float32', 'bfloat16'):
        m = torch.randn(n, n).to(getattr(torch, dtype))
        median, _ = timed(lambda: m @ m, 2, 5)
        out[dtype] = 2 * n**3 / median / 1e9
    return out


def run_child(a):
    import torch
    torch.set_num_threads(a.threads)
    import semformer  # noqa: F401
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    fn = dict(stage2=section_stage2, cam=section_cam, caae=section_caae,
              matmul=section_matmul)[a.child]
    res = fn(a)
    res['peak_rss_mib'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print('RESULT ' + json.dumps(res))


def child(a, section, dtype):
    cmd = [sys.executable, osp.abspath(__file__), '--child', section, '--dtype', dtype]
    for k in ('batch', 'image_size', 'ae_image_size', 'cam_h', 'cam_w', 'caae_batch',
              'caae_image_size', 'warmup', 'repeats', 'threads'):
        cmd += [f'--{k.replace("_", "-")}', str(getattr(a, k))]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    lines = [l for l in proc.stdout.splitlines() if l.startswith('RESULT ')]
    if proc.returncode or not lines:
        raise SystemExit(f'{section} ({dtype}) failed:\n{proc.stderr[-3000:]}')
    return json.loads(lines[-1][7:])


def official(a, section):
    python = osp.join(a.official_root, 'venv', 'bin', 'python')
    cmd = [python, a.official_bench, '--section', section, '--also-b1', '0',
           '--batch', str(a.batch), '--image-size', str(a.image_size),
           '--ae-image-size', str(a.ae_image_size), '--cam-h', str(a.cam_h),
           '--cam-w', str(a.cam_w), '--caae-batch', str(a.caae_batch),
           '--caae-image-size', str(a.caae_image_size), '--warmup', str(a.warmup),
           '--repeats', str(a.repeats), '--threads', str(a.threads)]
    env = dict(os.environ, REF_ROOT=a.official_root)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode:
        raise SystemExit(f'official {section} failed:\n{proc.stderr[-3000:]}')
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    seconds = res.get('s_per_step', res.get('s_per_image'))
    return dict(seconds=seconds, times=res.get('times'), peak_rss_mib=res['peak_rss_mib'])


def parse():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--sections', default='stage2,cam,caae')
    p.add_argument('--dtypes', default='float32,bfloat16')
    p.add_argument('--batch', type=int, default=2)
    p.add_argument('--image-size', type=int, default=448)
    p.add_argument('--ae-image-size', type=int, default=224)
    p.add_argument('--cam-h', type=int, default=320)
    p.add_argument('--cam-w', type=int, default=480)
    p.add_argument('--caae-batch', type=int, default=8)
    p.add_argument('--caae-image-size', type=int, default=224)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--vs-official', action='store_true',
                   help='run the authors\' code interleaved with ours (A B A B)')
    p.add_argument('--official-root', default=os.environ.get('REF_ROOT'),
                   help='REF_ROOT of the official harness: ROOT/SemFormer (the authors\' '
                   'tree) and ROOT/venv (its Python); see the harness README')
    p.add_argument('--official-bench', default=OFFICIAL, help='bench_official.py')
    p.add_argument('--rounds', type=int, default=2, help='A B rounds with --vs-official')
    p.add_argument('--json', help='also write the result here')
    p.add_argument('--child', help=argparse.SUPPRESS)
    p.add_argument('--dtype', default='float32', help=argparse.SUPPRESS)
    return p.parse_args()


def main():
    a = parse()
    if a.child:
        return run_child(a)
    if a.vs_official and not (a.official_root and osp.isfile(a.official_bench)):
        raise SystemExit('--vs-official needs --official-root (or REF_ROOT) and the '
                         'harness bench_official.py (--official-bench)')
    sections = [s.strip() for s in a.sections.split(',')]
    dtypes = [d.strip() for d in a.dtypes.split(',')]
    result = dict(threads=a.threads, warmup=a.warmup, repeats=a.repeats,
                  shapes=dict(batch=a.batch, image_size=a.image_size,
                              ae_image_size=a.ae_image_size, cam=(a.cam_h, a.cam_w),
                              caae_batch=a.caae_batch, caae_image_size=a.caae_image_size))
    result['matmul_gflops'] = child(a, 'matmul', 'float32')
    runs = {}
    rounds = a.rounds if a.vs_official else 1
    for r in range(rounds):
        for s in sections:
            if a.vs_official:
                print(f'[round {r + 1}] official {s} ...', file=sys.stderr, flush=True)
                runs.setdefault((s, 'official'), []).append(official(a, s))
            for d in dtypes:
                print(f'[round {r + 1}] ours {s} {d} ...', file=sys.stderr, flush=True)
                runs.setdefault((s, d), []).append(child(a, s, d))
    table = []
    for s in sections:
        entry = {}
        for who in (['official'] if a.vs_official else []) + dtypes:
            rs = runs[(s, who)]
            sec = statistics.median(r['seconds'] for r in rs)
            e = dict(seconds=sec, peak_rss_mib=max(r['peak_rss_mib'] for r in rs),
                     per_round=[r['seconds'] for r in rs])
            macs = rs[0].get('macs', runs.get((s, 'float32'), [{}])[0].get('macs'))
            if macs:  # the official run does the same work as ours
                e['gflops'] = 2 * macs / sec / 1e9
                limit = result['matmul_gflops']['bfloat16' if who == 'bfloat16' else 'float32']
                e['pct_of_matmul'] = 100 * e['gflops'] / limit
            entry[who] = e
        if a.vs_official:
            for d in dtypes:
                entry[f'ratio_{d}'] = entry[d]['seconds'] / entry['official']['seconds']
                entry[f'rss_ratio_{d}'] = (entry[d]['peak_rss_mib'] /
                                           entry['official']['peak_rss_mib'])
        result[s] = entry
        for who, e in entry.items():
            if isinstance(e, dict):
                table.append((s, who, e))
    print(json.dumps(result))
    mm = result['matmul_gflops']
    print(f'\nmatmul 2048^3, {a.threads} threads: float32 {mm["float32"]:.0f} GFLOP/s, '
          f'bfloat16 {mm["bfloat16"]:.0f} GFLOP/s')
    print(f'{"workload":<8} {"run":<10} {"time":>9} {"peak RSS":>10} {"GFLOP/s":>8} '
          f'{"% matmul":>8} {"ours/official":>13}')
    for s, who, e in table:
        ratio = result[s].get(f'ratio_{who}')
        print(f'{s:<8} {who:<10} {e["seconds"]:>7.2f} s {e["peak_rss_mib"] / 1024:>6.2f} GiB '
              f'{e.get("gflops", float("nan")):>8.0f} {e.get("pct_of_matmul", float("nan")):>7.0f}% '
              + (f'{ratio:>6.2f} (mem {result[s][f"rss_ratio_{who}"]:.2f})'
                 if ratio is not None else ''))
    if a.json:
        with open(a.json, 'w') as f:
            json.dump(result, f, indent=1)


if __name__ == '__main__':
    main()
