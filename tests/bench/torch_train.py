"""PyTorch side of the training benchmark: the same spec, batch, threads and optimiser as train_bench.

Usage: /usr/bin/python3 tests/bench/torch_train.py SPEC THREADS BATCH STEPS
Prints one JSON object like train_bench's."""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
from cifake_weights import build_torch, parse_token  # noqa: E402


def random_tensors(spec):
    """Parameter tensors named like a weight file's, with the right shapes (values do not matter)."""
    tensors, c, h, w = {}, 3, 32, 32
    for i, tok in enumerate(t for t in spec.split(",") if t):
        kind = parse_token(tok)
        if kind[0] == "conv":
            _, f, k, pad = kind
            tensors[f"L{i}.weight"] = torch.randn(f, c, k, k) * (2.0 / (c * k * k)) ** 0.5
            tensors[f"L{i}.bias"] = torch.zeros(f)
            c, h, w = f, h + 2 * pad - k + 1, w + 2 * pad - k + 1
        elif kind[0] == "bn":
            for name, v in (("weight", torch.ones(c)), ("bias", torch.zeros(c)), ("running_mean", torch.zeros(c)),
                            ("running_var", torch.ones(c))):
                tensors[f"L{i}.{name}"] = v
        elif kind[0] == "mp":
            h, w = h // 2, w // 2
        elif kind[0] == "gap":
            h = w = 1
        elif kind[0] == "flat":
            c, h, w = c * h * w, 1, 1
        elif kind[0] == "dense":
            c, h, w = c * h * w, 1, 1
            tensors[f"L{i}.weight"] = torch.randn(kind[1], c) * (2.0 / c) ** 0.5
            tensors[f"L{i}.bias"] = torch.zeros(kind[1])
            c = kind[1]
    return tensors


def main():
    spec, threads, batch, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    model = build_torch(spec, random_tensors(spec)).float()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
    x = torch.randn(batch, 3, 32, 32)
    y = torch.tensor([i & 1 for i in range(batch)], dtype=torch.float32)
    model.train()
    for s in range(steps + 2):
        if s == 2:
            t0 = time.perf_counter()
        z = model(x)
        loss = F.binary_cross_entropy_with_logits(z[:, 0], y) if z.shape[1] == 1 else F.cross_entropy(z, y.long())
        opt.zero_grad()
        loss.backward()
        opt.step()
    train_s = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        t0 = time.perf_counter()
        for _ in range(steps):
            model(x)
        infer_s = time.perf_counter() - t0
    print(json.dumps({"engine": "pytorch", "version": torch.__version__, "spec": spec, "threads": threads,
                      "batch": batch, "train_images_per_s": round(steps * batch / train_s, 1),
                      "infer_images_per_s": round(steps * batch / infer_s, 1)}))


if __name__ == "__main__":
    main()
