"""NumPy twins of the arithmetic the browser lessons trace by hand. Torch-free.

Each module mirrors a torch function in `core.model`, and a test holds the two equal:

    attention.py  one attention head stage by stage (X, Q, K, V, scores, …, output)
                  <-> core.model.attention.scaled_dot_product
    sampling.py   softmax, temperature, top-k, top-p, entropy <-> core.model.generate
    softmax.py    the softmax both use (stable for large logits, -inf -> 0) <-> torch.softmax
    positions.py  sinusoidal encodings and their shift rotation (lesson 3's, used by lesson 4);
                  learned positions, embed = wte[ids] + wpe[:T] <-> core.model.gpt.GPT's input
    rope.py       rotary position embeddings (lesson 3); no torch twin (GPT-2 learns its
                  positions), held to the complex-number form
    gpt.py        the whole GPT forward: LayerNorm, GELU, MLP, multi-head attention, blocks,
                  tied LM head (lessons 7-9) <-> core.model.gpt.GPT; weights from
                  core.model.export (a trained model travels to the browser as .npz)
    depth.py      deep stacks of MLP sublayers in five wirings (plain, LayerNorm only,
                  residual only, pre-norm, post-norm) with a hand-written backward (lesson 8)
                  <-> torch autograd on the same weights
"""
