"""Reader for cifake weight files (format in src/weights.h), and a PyTorch model built from a spec.

Independent of the C code: it parses the bytes itself and maps each spec token to the torch layer
with the same meaning, so agreement between the two is evidence that both are right."""
import struct
import zlib

import torch
import torch.nn as nn


def read_weights(path):
    data = open(path, "rb").read()
    assert data[:8] == b"CIFAKEWT", "wrong magic"
    assert zlib.crc32(data[:-4]) == struct.unpack("<I", data[-4:])[0], "checksum"
    pos = 8

    def u32():
        nonlocal pos
        (v,) = struct.unpack_from("<I", data, pos)
        pos += 4
        return v

    def string():
        nonlocal pos
        n = u32()
        s = data[pos:pos + n].decode()
        pos += n
        return s

    version = u32()
    assert version == 1
    meta = {}
    for _ in range(u32()):
        k = string()
        meta[k] = string()
    tensors = {}
    for _ in range(u32()):
        name = string()
        dims = [u32() for _ in range(u32())]
        count = 1
        for d in dims:
            count *= d
        arr = torch.frombuffer(bytearray(data[pos:pos + 4 * count]), dtype=torch.float32).reshape(dims)
        pos += 4 * count
        tensors[name] = arr
    assert pos == len(data) - 4
    return meta, tensors


def parse_token(tok):
    if tok in ("bn", "relu", "mp", "gap", "flat", "npr"):
        return (tok,)
    if tok.startswith("drop"):
        return ("drop", float(tok[4:]))
    if tok.startswith("c"):
        body, valid = (tok[1:-1], True) if tok.endswith("v") else (tok[1:], False)
        filters, _, k = body.partition("k")
        k = int(k) if k else 3
        return ("conv", int(filters), k, 0 if valid else k // 2)
    if tok.startswith("d"):
        return ("dense", int(tok[1:]))
    raise ValueError(tok)


class NPR(nn.Module):
    """x minus its nearest-neighbour up-sampling of a 2x down-sampling (the spec's npr layer)."""

    def forward(self, x):
        h, w = x.shape[2], x.shape[3]
        anchors = x[:, :, ::2, ::2].repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
        return x - anchors[:, :, :h, :w]


def build_torch(spec, tensors, in_shape=(3, 32, 32)):
    """nn.Sequential equivalent of a spec, with parameters L<i>.* from tensors (float64 for accuracy)."""
    c, h, w = in_shape
    layers = []
    for i, tok in enumerate(t for t in spec.split(",") if t):
        kind = parse_token(tok)
        p = lambda name: tensors[f"L{i}.{name}"].double().clone()
        if kind[0] == "conv":
            _, f, k, pad = kind
            layer = nn.Conv2d(c, f, k, padding=pad)
            layer.weight.data, layer.bias.data = p("weight"), p("bias")
            c, h, w = f, h + 2 * pad - k + 1, w + 2 * pad - k + 1
        elif kind[0] == "bn":
            layer = nn.BatchNorm2d(c, eps=1e-5, momentum=0.1) if h * w > 1 or len(layers) and not isinstance(layers[-1], (nn.Linear, nn.Flatten)) else nn.BatchNorm1d(c, eps=1e-5, momentum=0.1)
            layer.weight.data, layer.bias.data = p("weight"), p("bias")
            layer.running_mean.data, layer.running_var.data = p("running_mean"), p("running_var")
        elif kind[0] == "relu":
            layer = nn.ReLU()
        elif kind[0] == "mp":
            layer = nn.MaxPool2d(2)
            h, w = h // 2, w // 2
        elif kind[0] == "gap":
            layer = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
            h = w = 1
        elif kind[0] == "flat":
            layer = nn.Flatten()
            c, h, w = c * h * w, 1, 1
        elif kind[0] == "drop":
            layer = nn.Dropout(kind[1])
        elif kind[0] == "npr":
            layer = NPR()
        elif kind[0] == "dense":
            if h * w > 1:
                layers.append(nn.Flatten())
                c, h, w = c * h * w, 1, 1
            layer = nn.Linear(c, kind[1])
            layer.weight.data, layer.bias.data = p("weight"), p("bias")
            c = kind[1]
        layers.append(layer)
    return nn.Sequential(*layers).double()


def ordered_params(model):
    """Parameters in the C engine's order: per layer, weight then bias."""
    return [p for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d))
            for p in (m.weight, m.bias)]


def ordered_buffers(model):
    return [b for m in model.modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))
            for b in (m.running_mean, m.running_var)]
