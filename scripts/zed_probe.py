#!/usr/bin/python3
# Usage: nice -n 19 /usr/bin/python3 scripts/zed_probe.py all NAME [--channels 32] [--layers 6] [--mix 2]
#            [--steps 3000] [--batch 64] [--patch 32] [--statistic zed0|surprise0|...] [--wild ../shared/data/wild]
#            [--out build/zed]      (steps: train, score, report, all)
#
# Feasibility probe of a real-only detector in the manner of ZED (Cozzolino et al., ECCV 2024): a lossless
# predictive coder trained on real photographs only; an image is scored by how its coding cost (NLL, bits
# per subpixel) compares with the entropy the model expects (H); generated images are expected to come
# out too predictable (NLL below H). Needs python3-pil (Debian) and torch, CPU only.
#
# The coder: each image is split into its four polyphase components; phase (1,1) (odd rows, odd columns)
# is predicted from the other three (9 channels) by a plain sequential 3x3-conv/ReLU net whose output
# gives, per pixel and channel, a K-component discretized logistic mixture over 0..255 (R, then G given
# R, then B given R and G, by linear coupling of the residuals, as in PixelCNN++). Means are offsets from
# the mean of the four nearest known pixels (a fixed linear term, so the net only learns corrections).
#
# Training (real crops of the training groups of the f4 split only): each crop is sometimes shrunk by
# 0.5..0.9 (area averaging) and often re-encoded as JPEG 60..100, so that "not a camera JPEG" is not what
# the coder learns as "real". Scoring covers the validation and test groups of f4 (scripts/wild-folds.sh),
# as they are and as delivered on the web (shrunk by 0.5..0.9, JPEG 70..90, both classes alike, a fixed
# draw per image), at two levels (full resolution, and the image shrunk 2x by 2x2 averaging).
#
# Steps: train (checkpointed every 250 steps, resumes), score (NAME.scores.tsv), report (NAME.md);
# `all` runs the three, skipping what is done. Outputs are written atomically (temp file + rename).
import argparse
import hashlib
import io
import math
import os
import random
import re
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

LN2 = math.log(2.0)


# ---------------------------------------------------------------- data

def read_split(repo_root):
    """F4_TEST and F4_VAL from scripts/wild-folds.sh: the split is defined in one place."""
    text = open(os.path.join(repo_root, "scripts", "wild-folds.sh")).read()
    groups = {}
    for name in ("F4_TEST", "F4_VAL"):
        m = re.search(r"^%s=(\S+)" % name, text, re.M)
        groups[name] = m.group(1).split(",")
    return groups["F4_TEST"], groups["F4_VAL"]


def read_manifest(wild):
    rows = []
    with open(os.path.join(wild, "MANIFEST.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            rows.append(dict(zip(header, line.rstrip("\n").split("\t"))))
    return rows


def load_rgb(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def shrink(img, factor):
    """Area averaging (PIL's BOX filter) to round(factor * size)."""
    h, w = img.shape[:2]
    size = (max(2, round(w * factor)), max(2, round(h * factor)))
    return np.asarray(Image.fromarray(img).resize(size, Image.BOX), dtype=np.uint8)


def jpeg(img, quality):
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=int(quality))
    buf.seek(0)
    return load_rgb(buf)


def as_delivered(img, path, seed=1):
    """Web delivery, both classes alike: shrink by [0.5, 0.9), then JPEG 70..90; the draw is fixed by path."""
    digest = hashlib.sha256(("%d:%s" % (seed, path)).encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "little"))
    factor = 0.5 + 0.4 * rng.random()
    quality = rng.randint(70, 90)
    return jpeg(shrink(img, factor), quality)


def augment(img, rng):
    """Training treatment of a real crop: sometimes shrunk, often re-encoded as JPEG, sometimes left as is."""
    if rng.random() < 0.4:
        img = shrink(img, rng.uniform(0.5, 0.9))
    if rng.random() < 0.7:
        img = jpeg(img, rng.randint(60, 100))
    if rng.random() < 0.5:
        img = img[:, ::-1]
    return img


def phases(img):
    """uint8 HxWx3 (cropped to even size) -> float tensor 12 x H/2 x W/2: phases (0,0), (0,1), (1,0), (1,1)."""
    h, w = img.shape[0] & ~1, img.shape[1] & ~1
    t = torch.from_numpy(np.ascontiguousarray(img[:h, :w])).permute(2, 0, 1).float()
    return torch.cat([t[:, 0::2, 0::2], t[:, 0::2, 1::2], t[:, 1::2, 0::2], t[:, 1::2, 1::2]], 0)


def half(img):
    """The image shrunk 2x by 2x2 averaging (the second level)."""
    h, w = img.shape[0] & ~1, img.shape[1] & ~1
    x = img[:h, :w].astype(np.float32)
    x = (x[0::2, 0::2] + x[0::2, 1::2] + x[1::2, 0::2] + x[1::2, 1::2]) / 4.0
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- model

class Coder(nn.Module):
    """Plain sequential 3x3 conv/ReLU net: 9 known-phase channels -> mixture parameters of phase (1,1)."""

    def __init__(self, channels, layers, mix):
        super().__init__()
        self.mix = mix
        mods, cin = [], 9
        for _ in range(layers - 1):
            mods += [nn.Conv2d(cin, channels, 3, padding=1), nn.ReLU()]
            cin = channels
        last = nn.Conv2d(cin, 9 * mix + 3, 3, padding=1)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        mods.append(last)
        self.net = nn.Sequential(*mods)

    def forward(self, known):
        """known: B x 9 x h x w in 0..255 -> (logit_probs, means, log_scales) each B x 3 x K x h x w, coeffs B x 3 x h x w."""
        b, _, h, w = known.shape
        out = self.net(known / 255.0)
        k = self.mix
        logits = out[:, 0:3 * k].reshape(b, 3, k, h, w)
        means = out[:, 3 * k:6 * k].reshape(b, 3, k, h, w) * 16.0
        # spread the components' initial means so a mixture can separate them
        offsets = torch.linspace(-2.0, 2.0, k) if k > 1 else torch.zeros(1)
        means = means + offsets.view(1, 1, k, 1, 1)
        log_scales = (out[:, 6 * k:9 * k].reshape(b, 3, k, h, w) + 1.0).clamp(min=-4.0)
        coeffs = torch.tanh(out[:, 9 * k:9 * k + 3])
        return logits, means, log_scales, coeffs


def neighbour_mean(known):
    """Mean of the four nearest known pixels of each (1,1) pixel: above, below (phase 0,1), left, right (1,0)."""
    p01, p10 = known[:, 3:6], known[:, 6:9]
    below = torch.cat([p01[:, :, 1:], p01[:, :, -1:]], 2)
    right = torch.cat([p10[:, :, :, 1:], p10[:, :, :, -1:]], 3)
    return (p01 + below + p10 + right) / 4.0


def centred_means(model, known, target):
    """Component means in pixel units, R; G given R; B given R, G (coupling of the true residuals)."""
    logits, means, log_scales, coeffs = model(known)
    base = neighbour_mean(known)
    resid = target - base
    r, g = resid[:, 0:1], resid[:, 1:2]
    a, bb, c = coeffs[:, 0:1], coeffs[:, 1:2], coeffs[:, 2:3]
    shift = torch.cat([torch.zeros_like(r), a * r, bb * r + c * g], 1)
    mu = means + (base + shift).unsqueeze(2)
    return logits, mu, log_scales


def log_prob_bins(mu, log_scales, values):
    """log P(value) of a discretized logistic (bins of width 1 over 0..255), broadcast over mu/values."""
    inv = torch.exp(-log_scales)
    centred = values - mu
    plus = inv * (centred + 0.5)
    minus = inv * (centred - 0.5)
    log_cdf_plus = plus - F.softplus(plus)          # log sigmoid(plus), for value 0
    log_one_minus_cdf_minus = -F.softplus(minus)    # log(1 - sigmoid(minus)), for value 255
    delta = torch.sigmoid(plus) - torch.sigmoid(minus)
    mid = inv * centred
    log_pdf_mid = mid - log_scales - 2.0 * F.softplus(mid)
    log_mid = torch.where(delta > 1e-5, torch.log(delta.clamp(min=1e-12)), log_pdf_mid)
    return torch.where(values < 0.5, log_cdf_plus, torch.where(values > 254.5, log_one_minus_cdf_minus, log_mid))


def nll_bits(model, known, target):
    """Per-subpixel NLL in bits: B x 3 x h x w."""
    logits, mu, log_scales = centred_means(model, known, target)
    lp = log_prob_bins(mu, log_scales, target.unsqueeze(2))
    return -torch.logsumexp(lp + F.log_softmax(logits, 2), 2) / LN2


def nll_and_entropy(model, known, target, window=128):
    """Per-subpixel NLL and the entropy of the predicted distribution (bits), each B x 3 x h x w.

    The entropy sums over a window of `window` values around the mixture's mean (inside 0..255); the mass
    outside it, negligible for all but the noisiest pixels, counts as one more outcome (a lower bound).
    """
    logits, mu, log_scales = centred_means(model, known, target)
    logw = F.log_softmax(logits, 2)
    nll = -torch.logsumexp(log_prob_bins(mu, log_scales, target.unsqueeze(2)) + logw, 2) / LN2
    centre = (logw.exp() * mu).sum(2).round().clamp(window // 2, 256 - window // 2)
    values = (centre.unsqueeze(-1) + torch.arange(-(window // 2), window // 2, dtype=torch.float32)).unsqueeze(2)
    lp = log_prob_bins(mu.unsqueeze(-1), log_scales.unsqueeze(-1), values) + logw.unsqueeze(-1)
    lp = torch.logsumexp(lp, 2)                      # B x 3 x h x w x window
    p = lp.exp()
    rest = (1.0 - p.sum(-1)).clamp(min=0.0)
    ent = (-(p * lp).sum(-1) - rest * torch.log(rest.clamp(min=1e-30))) / LN2
    return nll, ent


# ---------------------------------------------------------------- training

def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def atomic_write(text, path):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def train(args, rows, train_groups):
    ckpt = os.path.join(args.out, args.name + ".pt")
    model = Coder(args.channels, args.layers, args.mix)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    step, log = 0, []
    if os.path.exists(ckpt):
        state = torch.load(ckpt)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, log = state["step"], state["log"]
        if step >= args.steps:
            return model
    paths = [os.path.join(args.wild, r["crop"]) for r in rows if r["class"] == "real" and r["group"] in train_groups]
    images = [load_rgb(p) for p in paths]
    print("%s: training on %d real crops from step %d" % (args.name, len(images), step), flush=True)
    rng = random.Random(1000 + step)
    torch.manual_seed(1000 + step)
    span = 2 * args.patch
    t0, running = time.time(), []
    while step < args.steps:
        lr = args.lr * 0.5 * (1 + math.cos(math.pi * step / args.steps))
        for group in opt.param_groups:
            group["lr"] = lr
        batch = []
        for _ in range(args.batch):
            img = augment(images[rng.randrange(len(images))], rng)
            h, w = img.shape[:2]
            if h < span or w < span:
                img = np.asarray(Image.fromarray(img).resize((max(w, span), max(h, span)), Image.BOX))
                h, w = img.shape[:2]
            y, x = 2 * rng.randrange((h - span) // 2 + 1), 2 * rng.randrange((w - span) // 2 + 1)
            batch.append(phases(img[y:y + span, x:x + span]))
        batch = torch.stack(batch)
        loss = nll_bits(model, batch[:, 0:9], batch[:, 9:12]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        running.append(loss.item())
        if step % 250 == 0 or step == args.steps:
            log.append((step, float(np.mean(running)), time.time() - t0))
            print("%s: step %d bits/subpixel %.4f (%.0f s)" % (args.name, step, np.mean(running), time.time() - t0),
                  flush=True)
            running = []
            atomic_save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "log": log,
                         "args": vars(args)}, ckpt)
    return model


# ---------------------------------------------------------------- scoring

def image_stats(model, img):
    """(mean NLL, mean entropy) in bits per subpixel of phase (1,1) of the image."""
    p = phases(img).unsqueeze(0)
    nll, ent = nll_and_entropy(model, p[:, 0:9], p[:, 9:12])
    return nll.mean().item(), ent.mean().item()


def score(args, rows, model, test_groups, val_groups):
    out = os.path.join(args.out, args.name + ".scores.tsv")
    if os.path.exists(out):
        return
    lines = ["crop\tclass\tgroup\tgenerator\tsplit\tcondition\tnll0\tent0\tnll1\tent1"]
    todo = [r for r in rows if r["group"] in test_groups or r["group"] in val_groups]
    t0 = time.time()
    with torch.no_grad():
        for i, r in enumerate(todo):
            split = "test" if r["group"] in test_groups else "val"
            img = load_rgb(os.path.join(args.wild, r["crop"]))
            for condition, version in (("as_is", img), ("web", as_delivered(img, r["crop"]))):
                n0, e0 = image_stats(model, version)
                n1, e1 = image_stats(model, half(version))
                lines.append("\t".join([r["crop"], r["class"], r["group"], r["generator"], split, condition] +
                                       ["%.5f" % v for v in (n0, e0, n1, e1)]))
            if (i + 1) % 200 == 0:
                print("%s: scored %d of %d (%.0f s)" % (args.name, i + 1, len(todo), time.time() - t0), flush=True)
    atomic_write("\n".join(lines) + "\n", out)


# ---------------------------------------------------------------- report

# Each statistic is oriented so that a higher value means "more likely generated".
STATISTICS = {
    "zed0": ("H - NLL, full resolution (ZED)", lambda s: s["ent0"] - s["nll0"]),
    "zed1": ("H - NLL, half resolution", lambda s: s["ent1"] - s["nll1"]),
    "zed01": ("H - NLL, both levels summed", lambda s: s["ent0"] - s["nll0"] + s["ent1"] - s["nll1"]),
    "nll0": ("-NLL, full resolution", lambda s: -s["nll0"]),
    "nll1": ("-NLL, half resolution", lambda s: -s["nll1"]),
    # the opposite hypothesis: generated images are less predictable than the coder expects (NLL above H)
    "surprise0": ("NLL - H, full resolution", lambda s: s["nll0"] - s["ent0"]),
    "surprise1": ("NLL - H, half resolution", lambda s: s["nll1"] - s["ent1"]),
    "surprise01": ("NLL - H, both levels summed", lambda s: s["nll0"] - s["ent0"] + s["nll1"] - s["ent1"]),
}


def auroc(neg, pos):
    """P(pos > neg) + 0.5 P(tie), by ranks."""
    neg, pos = np.asarray(neg), np.asarray(pos)
    if len(neg) == 0 or len(pos) == 0:
        return float("nan")
    allv = np.concatenate([neg, pos])
    order = allv.argsort(kind="mergesort")
    ranks = np.empty(len(allv))
    sorted_v = allv[order]
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and sorted_v[j + 1] == sorted_v[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1
        i = j + 1
    rp = ranks[len(neg):].sum()
    return (rp - len(pos) * (len(pos) + 1) / 2.0) / (len(neg) * len(pos))


def load_scores(path):
    rows = []
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(header, line.rstrip("\n").split("\t")))
            for k in ("nll0", "ent0", "nll1", "ent1"):
                r[k] = float(r[k])
            rows.append(r)
    return rows


def select(rows, **kw):
    return [r for r in rows if all(r[k] == v for k, v in kw.items())]


def fmt(v, digits=3):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else ("%.*f" % (digits, v))


def report(args):
    rows = load_scores(os.path.join(args.out, args.name + ".scores.tsv"))
    ckpt = torch.load(os.path.join(args.out, args.name + ".pt"))
    out = ["# %s" % args.name, "", "training: %s" % ", ".join("%s=%s" % (k, ckpt["args"][k]) for k in
                                                            ("channels", "layers", "mix", "steps", "batch", "patch", "lr")),
           "final training bits/subpixel: %.4f, training time %.0f s" % (ckpt["log"][-1][1], ckpt["log"][-1][2]), ""]
    # validation and test AUROC of every statistic
    out += ["| statistic | val AUROC as is | val AUROC web | test AUROC as is | test AUROC web |",
            "| --- | ---: | ---: | ---: | ---: |"]
    for key, (label, fn) in STATISTICS.items():
        cells = []
        for split in ("val", "test"):
            for cond in ("as_is", "web"):
                rs = select(rows, split=split, condition=cond)
                cells.append(auroc([fn(r) for r in rs if r["class"] == "real"], [fn(r) for r in rs if r["class"] == "fake"]))
        out.append("| %s (`%s`) | %s |" % (label, key, " | ".join(fmt(c) for c in cells)))
    key = args.statistic
    label, fn = STATISTICS[key]
    # operating point per condition: FAKE at or above the 95th percentile of the validation photos' scores;
    # REAL below the 10th percentile of the validation fakes' (an UNSURE band between, if that is lower)
    conds = ("as_is", "web")
    threshold, lower = {}, {}
    for cond in conds:
        val_real = np.array([fn(r) for r in select(rows, split="val", condition=cond, **{"class": "real"})])
        val_fake = np.array([fn(r) for r in select(rows, split="val", condition=cond, **{"class": "fake"})])
        threshold[cond] = float(np.quantile(val_real, 0.95))
        lower[cond] = min(threshold[cond], float(np.quantile(val_fake, 0.10)))
    out += ["", "## Operating point of `%s` (%s)" % (key, label), ""]
    for cond in conds:
        out.append("%s: FAKE at or above %.4f (95th percentile of the validation photos' scores), UNSURE band "
                   "[%.4f, %.4f) (REAL below the 10th percentile of the validation fakes' scores)." %
                   (cond, threshold[cond], lower[cond], threshold[cond]))
    out += ["", "| split | class | group / generator | n | AUROC as is / web | called FAKE as is / web | "
            "decided (band) as is / web | accuracy of decided (band) as is / web |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"]

    def line(split, cls, name, subset):
        cells = {"auc": [], "fake": [], "dec": [], "acc": []}
        for cond in conds:
            rs = [r for r in subset if r["condition"] == cond]
            reals = [fn(r) for r in select(rows, split=split, condition=cond, **{"class": "real"})]
            v = np.array([fn(r) for r in rs])
            cells["auc"].append(auroc(reals, v) if cls == "fake" else None)
            cells["fake"].append(float((v >= threshold[cond]).mean()))
            decided = (v >= threshold[cond]) | (v < lower[cond])
            cells["dec"].append(float(decided.mean()))
            right = (v >= threshold[cond]) if cls == "fake" else (v < lower[cond])
            cells["acc"].append(float(right[decided].mean()) if decided.any() else float("nan"))
        out.append("| %s | %s | %s | %d | %s |" % (split, cls.upper(), name, len(subset) // 2, " | ".join(
            " / ".join(fmt(c) for c in cells[k]) if any(c is not None for c in cells[k]) else ""
            for k in ("auc", "fake", "dec", "acc"))))

    for split in ("test", "val"):
        for cls in ("real", "fake"):
            subset = select(rows, split=split, **{"class": cls})
            line(split, cls, "**all**", subset)
            for g in sorted({r["group"] for r in subset}):
                gs = [r for r in subset if r["group"] == g]
                line(split, cls, g, gs)
                gens = sorted({r["generator"] for r in gs})
                if len(gens) > 1:
                    for gen in gens:
                        sub = [r for r in gs if r["generator"] == gen]
                        if len(sub) >= 20:  # at least 10 images (two conditions each)
                            line(split, cls, "%s / %s" % (g, gen), sub)
    for cond in conds:
        rs = select(rows, split="test", condition=cond)
        v = np.array([fn(r) for r in rs])
        y = np.array([r["class"] == "fake" for r in rs])
        t, lo = threshold[cond], lower[cond]
        decided = (v >= t) | (v < lo)
        right = np.where(y, v >= t, v < lo)
        out += ["", "test %s, both classes (%d images): AUROC %.3f; photos called FAKE %.3f; fakes caught %.3f; "
                "band: decided %.3f, accuracy of decided %.3f" % (
                    cond, len(rs), auroc(v[~y], v[y]), (v[~y] >= t).mean(), (v[y] >= t).mean(), decided.mean(),
                    right[decided].mean() if decided.any() else float("nan"))]
    text = "\n".join(out) + "\n"
    atomic_write(text, os.path.join(args.out, "%s.%s.md" % (args.name, key)))
    print(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("step", choices=["train", "score", "report", "all"])
    ap.add_argument("name")
    ap.add_argument("--channels", type=int, default=32)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--mix", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--patch", type=int, default=32, help="phase patch side (the image window is twice that)")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--statistic", default="zed0", choices=sorted(STATISTICS))
    ap.add_argument("--wild", default="../shared/data/wild")
    ap.add_argument("--out", default="build/zed")
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    repo_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    test_groups, val_groups = read_split(repo_root)
    rows = read_manifest(args.wild)
    train_groups = {r["group"] for r in rows} - set(test_groups) - set(val_groups)
    if args.step in ("train", "score", "all"):
        model = train(args, rows, train_groups)
        model.eval()
        if args.step in ("score", "all"):
            score(args, rows, model, test_groups, val_groups)
    if args.step in ("report", "all"):
        report(args)


if __name__ == "__main__":
    sys.exit(main())
