"""NumPy twins of the arithmetic the browser lessons trace by hand. Torch-free.

Each module mirrors a torch function in `core.model`, and a test holds the two equal:

    attention.py  one attention head stage by stage (X, Q, K, V, scores, …, output)
                  <-> core.model.attention.scaled_dot_product
    sampling.py   softmax, temperature, top-k, top-p, entropy <-> core.model.generate
    softmax.py    the softmax both use (stable for large logits, -inf -> 0) <-> torch.softmax
    positions.py  sinusoidal positional encodings (lesson 3's, used by lesson 4); no torch
                  twin yet
    gpt.py        the whole GPT forward: LayerNorm, GELU, MLP, multi-head attention, blocks,
                  tied LM head (lessons 7-9) <-> core.model.gpt.GPT; weights from
                  core.model.export (a trained model travels to the browser as .npz)
    depth.py      deep stacks of MLP sublayers in five wirings (plain, LayerNorm only,
                  residual only, pre-norm, post-norm) with a hand-written backward (lesson 8)
                  <-> torch autograd on the same weights
"""
