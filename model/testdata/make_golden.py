#!/usr/bin/env python3
"""Regenerate attnlab's golden reference files, model/testdata/golden.

Not run by CI (CI has no Python): run it by hand, on any machine with
PyTorch and safetensors, when the golden models or the forward pass they pin
down change:

    pip install torch safetensors       # any PyTorch >= 1.13, CPU is enough
    # or Debian/Ubuntu: apt-get install python3-torch (the script then
    # writes the safetensors format itself)
    python3 model/testdata/make_golden.py                   # every model
    python3 model/testdata/make_golden.py --only sigmoid_2l # one of them
    go test ./model -run 'TestGolden|TestSinkRuleGolden' -v

For each model NAME it writes two files:

    NAME.model.safetensors     float32 weights under TransformerLens
                               state-dict keys, the TransformerLens config JSON
                               in __metadata__["config"] and, for a non-softmax
                               rule, attnlab's "attnlab.attention" (a JSON list,
                               one kind per layer): the file attnlab loads.
    NAME.expected.safetensors  float64 references computed by this script from
                               those float32 weights (promoted to float64):
                               tokens [B, T] (int64), logits [B, T, V],
                               loss_per_token [B, T-1], loss [1] (their mean),
                               blocks.{l}.hook_resid_pre / attn.hook_pattern /
                               hook_resid_mid (with an MLP) / hook_resid_post,
                               and grad.<key> = d loss / d param for every
                               parameter (torch.autograd, float64).

The forward pass below is written from TransformerLens's definitions, not from
attnlab's code: pre-LayerNorm (eps 1e-5; "LN" with weight and bias, "LNPre"
without), learned or rotary positions (rotate-half, GPT-NeoX: pair i with
i + R/2, theta = p * base^(-2i/R)), scores q.k / sqrt(d_head) with a causal
mask, the attention rule, z = pattern @ v, sum over heads of z @ W_O + b_O,
residual add, optional MLP (gelu = exact erf, gelu_new = tanh approximation,
relu), final LayerNorm, unembed. The attention rules (attnlab's engine kinds,
package attention):

    softmax       pattern = softmax(scores)
    softmax1      pattern = exp(scores) / (1 + sum exp(scores))       (a null slot of score 0)
    learned-sink  pattern = exp(scores) / (exp(s) + sum exp(scores)),  s = q . k_sink[h] / sqrt(d_head)
                  (k_sink: blocks.{l}.attn.k_sink [H, d_head], a key every query sees, value 0)
    sigmoid       pattern = sigmoid(scores) on j <= i, 0 above; rows need not sum to 1

model/golden_test.go (TestGolden: the four TransformerLens models) and
TestSinkRuleGolden (the sink rules) compare attnlab with these files, float32
and float64 engines, activations and every parameter gradient.

Everything is seeded (torch.manual_seed per model), so a rerun writes the same
numbers on the same PyTorch version; across versions the float64 references
agree far below the tests' tolerances.

Provenance: the sink-rule files (softmax1_2l, learned_sink_2l,
learned_sink_rotary_2l, sigmoid_2l) were written by this script with Debian's
python3-torch 1.13 (apt-get install python3-torch; no safetensors package, so
the writer below). The four TransformerLens models' files predate it (an
earlier script, other weights) and were kept. Regenerating them with this
script gives references every engine tensor matches, except that the float32
gradient of b_K, zero in theory (softmax ignores a shift shared by all keys),
shows 1–3e-8 of rounding against TestGolden's 1e-8 floor with these weights.
"""

import argparse
import json
import math
import os

import torch

try:
    from safetensors.torch import save_file
except ImportError:  # Debian's python3-torch comes without safetensors: write the format here
    import struct

    _DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}

    def save_file(tensors, path, metadata=None):
        """A safetensors file: an 8-byte little-endian header length, the JSON
        header (dtype, shape, data offsets per tensor, __metadata__), then the
        little-endian tensor bytes in header order."""
        header, blobs, off = {}, [], 0
        if metadata:
            header["__metadata__"] = metadata
        for name, t in tensors.items():
            b = t.detach().contiguous().cpu().numpy().tobytes() if hasattr(t, "numpy") else bytes(t)
            header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
            blobs.append(b)
            off += len(b)
        h = json.dumps(header, separators=(",", ":")).encode()
        h += b" " * (-len(h) % 8)  # align the data to 8 bytes
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(h)) + h)
            for b in blobs:
                f.write(b)

B, T, V = 3, 24, 50  # batch, positions, vocabulary of every golden model
LN_EPS = 1e-5

# name -> TransformerLens config fields (and attnlab's attention kind).
MODELS = {
    "attn_only_2l": dict(n_layers=2, d_model=32, n_heads=4, d_head=8, d_mlp=None, act_fn=None,
                         normalization_type="LN", positional_embedding_type="standard"),
    "ln_mlp_gelu_new_2l": dict(n_layers=2, d_model=32, n_heads=4, d_head=8, d_mlp=64, act_fn="gelu_new",
                               normalization_type="LN", positional_embedding_type="standard"),
    "rotary_mlp_relu_2l": dict(n_layers=2, d_model=32, n_heads=4, d_head=8, d_mlp=64, act_fn="relu",
                               normalization_type="LN", positional_embedding_type="rotary", rotary_dim=8),
    "lnpre_mlp_gelu_3l": dict(n_layers=3, d_model=32, n_heads=2, d_head=16, d_mlp=48, act_fn="gelu",
                              normalization_type="LNPre", positional_embedding_type="standard"),
    # The sink rules (issue 5), attention-only, learned positions, and one
    # with rotary positions (the learned sink meets the rotated query).
    "softmax1_2l": dict(n_layers=2, d_model=32, n_heads=4, d_head=8, d_mlp=None, act_fn=None,
                        normalization_type="LN", positional_embedding_type="standard", attention="softmax1"),
    "learned_sink_2l": dict(n_layers=2, d_model=32, n_heads=4, d_head=8, d_mlp=None, act_fn=None,
                            normalization_type="LN", positional_embedding_type="standard", attention="learned-sink"),
    "learned_sink_rotary_2l": dict(n_layers=2, d_model=32, n_heads=4, d_head=8, d_mlp=None, act_fn=None,
                                   normalization_type="LN", positional_embedding_type="rotary", rotary_dim=8,
                                   attention="learned-sink"),
    "sigmoid_2l": dict(n_layers=2, d_model=32, n_heads=4, d_head=8, d_mlp=None, act_fn=None,
                       normalization_type="LN", positional_embedding_type="standard", attention="sigmoid"),
}


def tl_config(c):
    """The TransformerLens config JSON attnlab reads (HookedTransformerConfig field names)."""
    return {
        "n_layers": c["n_layers"], "d_model": c["d_model"], "n_heads": c["n_heads"], "d_head": c["d_head"],
        "d_mlp": c["d_mlp"], "d_vocab": V, "n_ctx": T, "act_fn": c["act_fn"],
        "normalization_type": c["normalization_type"], "positional_embedding_type": c["positional_embedding_type"],
        "attn_only": c["d_mlp"] is None, "d_vocab_out": V, "rotary_dim": c.get("rotary_dim"), "rotary_base": 10000,
    }


def init_params(c, seed):
    """Random float32 weights in TransformerLens state-dict order. LayerNorm
    weights near 1 and non-zero biases, so that every parameter matters."""
    g = torch.Generator().manual_seed(seed)

    def rnd(*shape, scale=0.2, mean=0.0):
        return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale + mean).float()

    L, D, H, E, M = c["n_layers"], c["d_model"], c["n_heads"], c["d_head"], c["d_mlp"]
    ln = c["normalization_type"] == "LN"
    p = {"embed.W_E": rnd(V, D, scale=0.5)}
    if c["positional_embedding_type"] == "standard":
        p["pos_embed.W_pos"] = rnd(T, D, scale=0.3)
    for l in range(L):
        pre = f"blocks.{l}."
        p[pre + "attn.W_Q"] = rnd(H, D, E, scale=0.4)
        p[pre + "attn.W_K"] = rnd(H, D, E, scale=0.4)
        p[pre + "attn.W_V"] = rnd(H, D, E)
        p[pre + "attn.W_O"] = rnd(H, E, D)
        p[pre + "attn.b_Q"] = rnd(H, E, scale=0.1)
        p[pre + "attn.b_K"] = rnd(H, E, scale=0.1)
        p[pre + "attn.b_V"] = rnd(H, E, scale=0.1)
        p[pre + "attn.b_O"] = rnd(D, scale=0.1)
        if c.get("attention") == "learned-sink":
            p[pre + "attn.k_sink"] = rnd(H, E, scale=0.5)
        if ln:
            p[pre + "ln1.w"] = rnd(D, scale=0.1, mean=1.0)
            p[pre + "ln1.b"] = rnd(D, scale=0.1)
        if M is not None:
            if ln:
                p[pre + "ln2.w"] = rnd(D, scale=0.1, mean=1.0)
                p[pre + "ln2.b"] = rnd(D, scale=0.1)
            p[pre + "mlp.W_in"] = rnd(D, M)
            p[pre + "mlp.b_in"] = rnd(M, scale=0.1)
            p[pre + "mlp.W_out"] = rnd(M, D)
            p[pre + "mlp.b_out"] = rnd(D, scale=0.1)
    if ln:
        p["ln_final.w"] = rnd(D, scale=0.1, mean=1.0)
        p["ln_final.b"] = rnd(D, scale=0.1)
    p["unembed.W_U"] = rnd(D, V, scale=0.3)
    p["unembed.b_U"] = rnd(V, scale=0.1)
    return p


def layer_norm(x, w, b):
    """TransformerLens LayerNorm / LayerNormPre over the last axis (biased variance)."""
    x = x - x.mean(-1, keepdim=True)
    x = x / torch.sqrt((x * x).mean(-1, keepdim=True) + LN_EPS)
    if w is not None:
        x = x * w + b
    return x


def rotate(x, R, base):
    """Rotate-half rotary embedding of x [B, T, H, E] on its first R dims."""
    half = R // 2
    pos = torch.arange(x.shape[1], dtype=torch.float64)
    freq = base ** (-torch.arange(half, dtype=torch.float64) * 2 / R)
    theta = pos[:, None] * freq[None, :]  # [T, R/2]
    cos, sin = torch.cos(theta)[None, :, None, :], torch.sin(theta)[None, :, None, :]
    x1, x2, rest = x[..., :half], x[..., half:R], x[..., R:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin, rest], dim=-1)


def act(name, x):
    if name == "relu":
        return torch.relu(x)
    if name == "gelu":
        return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))
    if name == "gelu_new":
        return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    raise ValueError(name)


def attention(rule, q, k, E, ksink):
    """The pattern [B, H, T, T] of rule from q, k [B, T, H, E]."""
    scores = torch.einsum("bihe,bjhe->bhij", q, k) / math.sqrt(E)
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    if rule == "sigmoid":
        return torch.where(causal, torch.sigmoid(scores), torch.zeros_like(scores))
    scores = scores.masked_fill(~causal, float("-inf"))
    if rule == "softmax":
        return torch.softmax(scores, dim=-1)
    if rule == "softmax1":
        extra = torch.zeros(scores.shape[:-1] + (1,), dtype=scores.dtype)
    elif rule == "learned-sink":
        extra = (torch.einsum("bihe,he->bhi", q, ksink) / math.sqrt(E))[..., None]
    else:
        raise ValueError(rule)
    # A softmax over the keys and the extra slot, whose column is dropped.
    return torch.softmax(torch.cat([scores, extra], dim=-1), dim=-1)[..., :T]


def forward(c, p, tokens):
    """Logits [B, T, V] and the hook activations, float64, differentiable."""
    L, H, E = c["n_layers"], c["n_heads"], c["d_head"]
    rule = c.get("attention", "softmax")
    ln = c["normalization_type"] in ("LN", "LNPre")
    w = lambda key: p.get(key)  # None for LNPre's missing weights
    x = p["embed.W_E"][tokens]
    if c["positional_embedding_type"] == "standard":
        x = x + p["pos_embed.W_pos"][None, :T]
    cache = {}
    for l in range(L):
        pre = f"blocks.{l}."
        cache[pre + "hook_resid_pre"] = x
        h = layer_norm(x, w(pre + "ln1.w"), w(pre + "ln1.b")) if ln else x
        q = torch.einsum("btd,hde->bthe", h, p[pre + "attn.W_Q"]) + p[pre + "attn.b_Q"]
        k = torch.einsum("btd,hde->bthe", h, p[pre + "attn.W_K"]) + p[pre + "attn.b_K"]
        v = torch.einsum("btd,hde->bthe", h, p[pre + "attn.W_V"]) + p[pre + "attn.b_V"]
        if c["positional_embedding_type"] == "rotary":
            q, k = rotate(q, c["rotary_dim"], 10000.0), rotate(k, c["rotary_dim"], 10000.0)
        pattern = attention(rule, q, k, E, p.get(pre + "attn.k_sink"))
        cache[pre + "attn.hook_pattern"] = pattern
        z = torch.einsum("bhij,bjhe->bihe", pattern, v)
        x = x + torch.einsum("bthe,hed->btd", z, p[pre + "attn.W_O"]) + p[pre + "attn.b_O"]
        if c["d_mlp"] is not None:
            cache[pre + "hook_resid_mid"] = x
            h2 = layer_norm(x, w(pre + "ln2.w"), w(pre + "ln2.b")) if ln else x
            mid = act(c["act_fn"], h2 @ p[pre + "mlp.W_in"] + p[pre + "mlp.b_in"])
            x = x + mid @ p[pre + "mlp.W_out"] + p[pre + "mlp.b_out"]
        cache[pre + "hook_resid_post"] = x
    if ln:
        x = layer_norm(x, w("ln_final.w"), w("ln_final.b"))
    return x @ p["unembed.W_U"] + p["unembed.b_U"], cache


def make(name, c, out, seed):
    torch.manual_seed(seed)
    p32 = init_params(c, seed)
    meta = {"config": json.dumps(tl_config(c))}
    if "attention" in c:
        meta["attnlab.attention"] = json.dumps([c["attention"]] * c["n_layers"])
    save_file({k: v.contiguous() for k, v in p32.items()}, os.path.join(out, name + ".model.safetensors"), metadata=meta)

    p = {k: v.double().requires_grad_(True) for k, v in p32.items()}
    tokens = torch.randint(0, V, (B, T), generator=torch.Generator().manual_seed(seed + 1))
    logits, cache = forward(c, p, tokens)
    logp = torch.log_softmax(logits[:, :-1], dim=-1)
    loss_per_token = -logp.gather(-1, tokens[:, 1:, None])[..., 0]  # [B, T-1]
    loss = loss_per_token.mean()
    grads = torch.autograd.grad(loss, list(p.values()))

    exp = {"tokens": tokens.long(), "logits": logits.detach(), "loss_per_token": loss_per_token.detach(),
           "loss": loss.detach().reshape(1)}
    for key, t in cache.items():
        exp[key] = t.detach()
    for key, g in zip(p.keys(), grads):
        exp["grad." + key] = g.detach()
    save_file({k: v.contiguous() for k, v in exp.items()}, os.path.join(out, name + ".expected.safetensors"),
              metadata={"note": "float64 PyTorch reference for the float32 weights in the model file; "
                                "grad.* = d(mean loss)/d(param)"})
    print(f"{name}: loss {loss.item():.6f}, {len(p)} parameter tensors")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden"))
    ap.add_argument("--only", action="append", help="model name (repeatable); default: every model")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for i, (name, c) in enumerate(MODELS.items()):
        if args.only and name not in args.only:
            continue
        make(name, c, args.out, seed=1000 + i)


if __name__ == "__main__":
    main()
