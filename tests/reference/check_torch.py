"""Cross-checks the C engine against PyTorch on whole nets: forward in inference and training mode,
the loss, every parameter gradient, the batch-norm running statistics after a training pass, and
the Grad-CAM / Grad-CAM++ maps of the last conv block.

Run: /usr/bin/python3 tests/reference/check_torch.py [BUILD_DIR]   (needs build/refdump)
Prints one line per check and exits non-zero on any mismatch."""
import os
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from cifake_weights import build_torch, ordered_buffers, ordered_params, read_weights  # noqa: E402

SPECS = [
    "c32,bn,relu,c32,bn,relu,mp,c64,bn,relu,c64,bn,relu,mp,c128,bn,relu,c128,bn,relu,gap,d1",  # default
    "c16v,relu,mp,c32v,relu,mp,flat,d64,relu,d1",  # the paper's family (valid padding, dense head)
    "c8,bn,relu,mp,c12k5,relu,mp,c6k1,gap,d2",  # softmax head, 5x5 and 1x1 kernels
    "c8,relu,mp,flat,d16,bn,relu,d1",  # batch norm after a dense layer
    "c4,npr,c8,bn,relu,mp,c8,bn,relu,gap,d1",  # npr, with a conv before it so its backward is checked too
]
TOL = 1e-4


def rel_err(a, b):
    return ((a - b).abs().max() / (b.abs().max() + 1e-6)).item()


def cam_feature_module(model):
    """The output the C code explains: the last Conv2d, or the BatchNorm/ReLU right after it."""
    mods = list(model)
    last = max(i for i, m in enumerate(mods) if isinstance(m, torch.nn.Conv2d))
    while last + 1 < len(mods) and isinstance(mods[last + 1], (torch.nn.BatchNorm2d, torch.nn.ReLU)):
        last += 1
    return mods[last]


def torch_cam(model, x, target, plus_plus):
    """Grad-CAM(++) as defined in src/gradcam.h, computed with autograd and hooks."""
    saved = {}
    module = cam_feature_module(model)
    handle = module.register_forward_hook(lambda m, i, o: saved.__setitem__("a", o))
    model.eval()
    z = model(x)
    handle.remove()
    a = saved["a"]
    if z.shape[1] == 1:
        score = z[0, 0] if target == 1 else -z[0, 0]
    else:
        score = z[0, target]
    (g,) = torch.autograd.grad(score, a)
    a, g = a[0].detach(), g[0]
    if plus_plus:
        g2, g3 = g ** 2, g ** 3
        denom = 2 * g2 + a.sum(dim=(1, 2), keepdim=True) * g3
        alpha = torch.where(g != 0, g2 / torch.where(denom != 0, denom, torch.ones_like(denom)), torch.zeros_like(g))
        alpha = torch.where(denom != 0, alpha, torch.zeros_like(alpha))
        w = (alpha * g.clamp(min=0)).sum(dim=(1, 2))
    else:
        w = g.mean(dim=(1, 2))
    cam = (w[:, None, None] * a).sum(0).clamp(min=0)
    if cam.max() > 0:
        cam = cam / cam.max()
    return F.interpolate(cam[None, None], size=(32, 32), mode="bilinear", align_corners=False)[0, 0]


def check(spec, seed, build_dir, failures):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ref.bin")
        subprocess.run([os.path.join(build_dir, "refdump"), spec, str(seed), out], check=True)
        meta, t = read_weights(out)
    assert meta["spec"] == spec
    model = build_torch(spec, t)
    x = t["input"].double().reshape(4, 3, 32, 32)
    y = t["labels"].double()

    def report(name, ours, theirs):
        e = rel_err(ours.double().flatten(), theirs.detach().double().flatten())
        ok = e < TOL
        print(f"{'ok  ' if ok else 'FAIL'} {spec}: {name} relative error {e:.2e}")
        if not ok:
            failures.append(f"{spec}: {name}")

    model.eval()
    with torch.no_grad():
        report("inference logits", t["logits_eval"], model(x).flatten())
    for method, plus_plus in (("gradcam", False), ("gradcampp", True)):
        for target, name in ((1, "fake"), (0, "real")):
            ours = t[f"cam_{method}_{name}"]
            theirs = torch_cam(model, x[:1], target, plus_plus)
            e = (ours.double().flatten() - theirs.flatten()).abs().max().item()
            ok = e < TOL
            print(f"{'ok  ' if ok else 'FAIL'} {spec}: {method} map for {name.upper()} max abs error {e:.2e}"
                  f" (map max {theirs.max().item():.2f})")
            if not ok:
                failures.append(f"{spec}: {method} {name}")
    model.train()
    z = model(x)
    report("training logits", t["logits_train"], z.flatten())
    if z.shape[1] == 1:
        loss = F.binary_cross_entropy_with_logits(z[:, 0], y)
    else:
        loss = F.cross_entropy(z, y.long())
    report("loss", t["loss"], loss.reshape(1))
    loss.backward()
    report("parameter gradients", t["grads"], torch.cat([p.grad.flatten() for p in ordered_params(model)]))
    buffers = ordered_buffers(model)
    if buffers:
        report("running statistics", t["buffers_after"], torch.cat([b.flatten() for b in buffers]))


def main():
    build_dir = sys.argv[1] if len(sys.argv) > 1 else "build"
    torch.manual_seed(0)
    failures = []
    for i, spec in enumerate(SPECS):
        check(spec, 11 + i, build_dir, failures)
    print(f"{len(failures)} reference mismatches" if failures else "all reference checks agree with PyTorch")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
