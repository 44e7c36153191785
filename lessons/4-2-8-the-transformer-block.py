# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25.2",
#     "numpy>=1.26",
#     "altair>=5.4",
#     "pandas>=2.1",
# ]
# ///
"""Lesson 8 (module 4.2): the transformer block.

Why a deep stack needs residual connections and LayerNorm (measured on random stacks, forward
and backward); GPT-2's pre-norm block built in order and checked against core's NumPy GPT; the
residual stream as a running sum; LayerNorm from scratch beside BatchNorm; the MLP, GELU, and
where a block's parameters are.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="8 · The Transformer Block")


@app.cell(hide_code=True)
def _():
    import functools

    import altair as alt
    import marimo as mo
    import numpy as np
    import pandas as pd

    from core.course.attention_lessons import format_number, markdown_matrix
    from core.course.catalog import next_lesson_markdown
    from core.mirrors.depth import depth_profile, random_stack
    from core.mirrors.gpt import (
        Config,
        NumpyGPT,
        expected_shapes,
        gelu,
        layer_norm,
        mlp,
        multi_head_attention,
    )

    def show_derivation():
        """This cell's code, on pages that hide code (the app, the site's reading view)."""
        return None if mo.app_meta().mode == "edit" else mo.show_code()

    def sci(value):
        """A size for the tables: fixed decimals in a readable range, else 1.2e-7."""
        if value == 0 or 0.01 <= abs(value) < 10_000:
            return format_number(value)
        return f"{value:.1e}".replace("e-0", "e-").replace("e+0", "e+")

    return (
        Config,
        NumpyGPT,
        alt,
        depth_profile,
        expected_shapes,
        format_number,
        functools,
        gelu,
        layer_norm,
        markdown_matrix,
        mlp,
        mo,
        multi_head_attention,
        next_lesson_markdown,
        np,
        pd,
        random_stack,
        sci,
        show_derivation,
    )


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # The Transformer Block

    *Module 4.2 · Lesson 8 of 18*

    Lessons 5–7 built multi-head attention. A GPT is that attention, an MLP, two
    LayerNorms and two additions, packed into a **block**, and the block repeated:
    GPT-2's four sizes stack 12, 24, 36 and 48 of them (Radford et al., 2019). This
    lesson is about why the packing is what it is. It starts by stacking layers
    *without* it.
    """)
    return


@app.cell(hide_code=True)
def _(EX1_DEPTH, X_DEPTH, mo):
    mo.md(rf"""
    ## 1 · Stack it deep, and watch

    Take the simplest deep network you could build from a transformer's parts: $N$ MLP
    layers, one on top of the other, $x \leftarrow \mathrm{{mlp}}(x)$. Each is GPT-2's MLP
    (width $C = {X_DEPTH.shape[1]}$ here, expanded to $4C = {4 * X_DEPTH.shape[1]}$ inside; section 5 opens it up),
    with random weights drawn the usual way: standard deviation
    $\text{{gain}}/\sqrt{{\text{{fan-in}}}}$ with gain 1. Feed it {X_DEPTH.shape[0]} random position
    vectors, put a loss on top (a fixed random read-out of the output, a toy stand-in for
    a real loss) and backpropagate.

    **Exercise 1.** Predict before you look: with **{EX1_DEPTH}** such layers, how large
    is the gradient that reaches the *bottom* of the stack, compared with the gradient at
    the top?
    """)
    return


@app.cell
def _():
    PREDICTIONS = {
        "about the same (within 10×)": "same",
        "10 to 1,000 times smaller": "smaller",
        "over a million times smaller": "vanished",
        "over a million times larger": "exploded",
    }
    return (PREDICTIONS,)


@app.cell
def _(PREDICTIONS, mo):
    prediction_radio = mo.ui.radio(
        options=list(PREDICTIONS), label="at the bottom, the gradient is"
    )
    prediction_radio
    return (prediction_radio,)


@app.cell
def _(functools, np, random_stack):
    DEPTH_C, DEPTH_T, MAX_DEPTH = 64, 8, 48
    EX1_DEPTH = 24  # the depth exercise 1 asks about
    TOP_DEPTHS = (3, 6, 12, 24, 48)  # the depths of section 2's top-layer gradient table
    _rng = np.random.default_rng(1)
    X_DEPTH = _rng.normal(size=(DEPTH_T, DEPTH_C))  # (T, C): 8 positions
    READOUT = _rng.normal(size=(DEPTH_T, DEPTH_C))  # L = Σ READOUT ⊙ output, so dL/dout = READOUT
    GAINS = [0.5, 0.75, 1.0, 1.1, 1.2, 1.22, 1.25, 1.3, 1.5, 2.0]

    @functools.lru_cache(maxsize=2)
    def stack_at(gain):
        """(layers, final LayerNorm) of the deepest stack; fewer layers are its first ones."""
        return random_stack(MAX_DEPTH, DEPTH_C, gain=gain, seed=0)

    WIRINGS = {
        "plain": "plain: x ← mlp(x)",
        "layernorm": "LayerNorm, no residual: x ← mlp(ln(x))",
        "residual": "residual, no LayerNorm: x ← x + mlp(x)",
        "pre-norm": "pre-norm (GPT-2): x ← x + mlp(ln(x))",
        "post-norm": "post-norm (2017): x ← ln(x + mlp(x))",
    }
    return EX1_DEPTH, GAINS, MAX_DEPTH, READOUT, TOP_DEPTHS, WIRINGS, X_DEPTH, stack_at


@app.cell
def _(READOUT, X_DEPTH, depth_profile, stack_at):
    def measure(wiring, depth, gain):
        """Sizes through `depth` layers of the stack at this gain (see core.mirrors.depth)."""
        _layers, _final = stack_at(gain)
        return depth_profile(X_DEPTH, _layers[:depth], _final, wiring, readout=READOUT)

    def gradient_ratio(profile):
        """‖gradient at the bottom of the stack‖ / ‖gradient at the top‖."""
        return profile.stream_grad_norm[0] / profile.stream_grad_norm[-1]

    return gradient_ratio, measure


@app.cell(hide_code=True)
def _(
    EX1_DEPTH,
    PREDICTIONS,
    format_number,
    gradient_ratio,
    measure,
    mo,
    prediction_radio,
):
    _ratio = gradient_ratio(measure("plain", EX1_DEPTH, 1.0))
    if _ratio < 1e-6:
        _truth = "vanished"
    elif _ratio > 1e6:
        _truth = "exploded"
    elif 0.1 <= _ratio <= 10:
        _truth = "same"
    else:
        _truth = "smaller"
    _measured = f"measured: {_ratio:.1e} times the gradient at the top".replace("e-0", "e-")
    if prediction_radio.value is None:
        _kind, _text = "neutral", "Pick a prediction above; the experiment appears once you have."
    else:
        _factor = format_number(_ratio ** (1 / EX1_DEPTH), 2)
        _why = (
            "Backpropagation multiplies the gradient by one layer's Jacobian per layer; here "
            f"each layer scales its size by about {_factor}, and {EX1_DEPTH} such factors "
            "multiply."
        )
        if PREDICTIONS[prediction_radio.value] == _truth:
            _kind, _text = "success", f"Right ({_measured}). {_why}"
        else:
            _kind, _text = "warn", f"Not quite: {_measured}. {_why} See it layer by layer below."
    mo.callout(mo.md(f"**Exercise 1.** {_text}"), kind=_kind)
    return


@app.cell
def _(GAINS, MAX_DEPTH, mo):
    depth_slider = mo.ui.slider(
        1, MAX_DEPTH, value=24, label="N, layers in the stack", show_value=True
    )
    gain_slider = mo.ui.slider(
        steps=GAINS, value=1.0, label="gain of the initial weights", show_value=True
    )
    return depth_slider, gain_slider


@app.cell
def _(WIRINGS, alt, pd):
    COLORS = {"plain": "#d1495b", "layernorm": "#edae49", "residual": "#8d6a9f",
              "pre-norm": "#2e86ab", "post-norm": "#66a182"}  # fmt: skip

    def profile_chart(profiles, wirings):
        """Two log-scale panels: the stream's size and the gradient's size, layer by layer."""
        _rows = []
        for _w in wirings:
            _p = profiles[_w]
            for _l, (_a, _g) in enumerate(zip(_p.activation_rms, _p.stream_grad_norm)):
                _rows.append(
                    {"layer": _l, "wiring": WIRINGS[_w], "rms": max(_a, 1e-300),
                     "gradient": max(_g, 1e-300)}
                )  # fmt: skip
        _data = pd.DataFrame(_rows)
        _color = alt.Color(
            "wiring:N",
            title="wiring",
            scale=alt.Scale(
                domain=[WIRINGS[w] for w in wirings],
                range=[COLORS[w] for w in wirings],
            ),
            legend=alt.Legend(orient="bottom", columns=2, labelLimit=320),
        )
        _x = alt.X("layer:Q", title="layer l (0 = the input x₀, N = the top)")
        _axis = alt.Axis(format=".0e")  # one style from 1e-44 to 1e+24
        _base = alt.Chart(_data).mark_line(point=alt.OverlayMarkDef(size=18))
        _size = _base.encode(
            x=_x,
            y=alt.Y(
                "rms:Q", scale=alt.Scale(type="log"), title="RMS of the stream x_l", axis=_axis
            ),
            color=_color,
        ).properties(width=330, height=230, title="Forward: the signal's size")
        _grad = _base.encode(
            x=_x,
            y=alt.Y("gradient:Q", scale=alt.Scale(type="log"), title="‖dL/dx_l‖", axis=_axis),
            color=_color,
        ).properties(width=330, height=230, title="Backward: the gradient's size")
        return alt.hconcat(_size, _grad)

    return (profile_chart,)


@app.cell
def _(WIRINGS, depth_slider, gain_slider, measure, mo, profile_chart):
    profiles = {w: measure(w, depth_slider.value, gain_slider.value) for w in WIRINGS}

    def experiment(wirings):
        """The two sliders over the chart of these wirings (shown in sections 1, 2 and 4)."""
        return mo.vstack(
            [
                mo.hstack([depth_slider, gain_slider], justify="start", gap=2),
                profile_chart(profiles, wirings),
            ]
        )

    return experiment, profiles


@app.cell(hide_code=True)
def _(experiment, mo, prediction_radio):
    mo.stop(
        prediction_radio.value is None,
        mo.md("*The experiment appears here once you have made a prediction.*"),
    )
    experiment(["plain"])
    return


@app.cell(hide_code=True)
def _(
    GAINS,
    MAX_DEPTH,
    depth_slider,
    format_number,
    gain_slider,
    gradient_ratio,
    mo,
    prediction_radio,
    profiles,
    sci,
    sweep,
):
    mo.stop(prediction_radio.value is None)
    _p = profiles["plain"]
    _ok = [g for g, r in zip(GAINS, sweep["plain"]["ratio"]) if 0.1 <= r <= 10]
    _steady = ", ".join(map(str, _ok)) if _ok else "none of those the slider offers"
    _n = depth_slider.value

    mo.md(
        f"""
    At **N = {_n}, gain {gain_slider.value}** the plain stack turns an input of RMS
    {format_number(_p.activation_rms[0])} into an output of RMS **{sci(_p.activation_rms[-1])}**,
    and the gradient reaching its bottom is **{sci(gradient_ratio(_p))}** times the one
    at its top. Move N: both change by a roughly fixed factor per layer, so geometrically.
    Move the gain: at N = {MAX_DEPTH}, the gains that keep the gradient within 10× of the
    top's are {_steady}; below them everything **vanishes**, above them everything
    **explodes**. So a plain stack is steady only on a knife edge, and only at
    initialisation: training moves the weights off it. This is the vanishing and
    exploding gradient problem of series 1, back at transformer depth.

    The fix is the block's wiring. Sections 2–4 build it; the line for GPT-2's wiring
    joins this plot in section 2.
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 2 · The block, in order

    GPT-2's block takes the stream $x$ (one vector of width $C$ per position, $T \times C$)
    and does two things to it, each the same way: **normalise, transform, add back**.

    $$x \leftarrow x + \mathrm{MHA}\big(\mathrm{LN}_1(x)\big)$$
    $$x \leftarrow x + \mathrm{MLP}\big(\mathrm{LN}_2(x)\big)$$

    After the last block, one more $\mathrm{LN}_f$ normalises the stream before the output
    layer. This is the **pre-norm** form: the LayerNorm sits at the *entrance* of each
    branch, and the path from the bottom of the stack to the top is additions only.

    The original Transformer (Vaswani et al., 2017) had the **post-norm** form, "add &
    norm": $x \leftarrow \mathrm{LN}(x + \mathrm{MHA}(x))$, then
    $x \leftarrow \mathrm{LN}(x + \mathrm{FFN}(x))$, a LayerNorm *after* each addition,
    on the main path. GPT-2 moved it to the branch's input and added the final
    LayerNorm, "similar to a pre-activation residual network" (Radford et al., 2019): a
    ResNet variant (He et al., 2016, *Identity Mappings in Deep Residual Networks*) that
    moved BatchNorm and ReLU into the branch, before its convolutions, to keep the skip
    path a pure identity. Section 3 comes back to ResNets.

    Here is one block written out from core's NumPy pieces (`layer_norm`,
    `multi_head_attention`, `mlp` from `core.mirrors.gpt`), on a toy GPT with random
    weights:
    """)
    return


@app.cell
def _(NumpyGPT, layer_norm, mlp, multi_head_attention, np, show_derivation):
    toy_gpt = NumpyGPT.random(
        vocab_size=24, block_size=8, n_layer=3, n_head=4, n_embd=16, std=0.1, seed=8
    )
    toy_ids = [3, 14, 15, 9, 2, 6]  # six made-up token ids: T = 6

    def attention_part(x, i):
        """What block i's attention adds to the stream x (T, C): MHA(LN₁(x))."""
        w, p = toy_gpt.weights, f"h.{i}."
        attn, _ = multi_head_attention(
            layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"]),  # LN₁
            w[p + "attn.c_attn.weight"], w[p + "attn.c_attn.bias"],
            w[p + "attn.c_proj.weight"], w[p + "attn.c_proj.bias"],
            toy_gpt.config.n_head,
        )  # fmt: skip
        return attn

    def mlp_part(x, i):
        """What block i's MLP adds to the stream x (T, C): MLP(LN₂(x))."""
        w, p = toy_gpt.weights, f"h.{i}."
        return mlp(
            layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"]),  # LN₂
            w[p + "mlp.c_fc.weight"], w[p + "mlp.c_fc.bias"],
            w[p + "mlp.c_proj.weight"], w[p + "mlp.c_proj.bias"],
        )  # fmt: skip

    def my_block(x, i):
        """GPT-2's block i on x (T, C), pre-norm. Returns (x, attention's part, the MLP's part)."""
        attn = attention_part(x, i)
        x = x + attn  # add: attention writes into the stream
        out = mlp_part(x, i)
        return x + out, attn, out  # add: so does the MLP

    x0 = toy_gpt.weights["wte.weight"][toy_ids] + toy_gpt.weights["wpe.weight"][: len(toy_ids)]
    block_gap = max(
        float(np.abs(my_block(x0, 0)[0] - toy_gpt.block(x0, 0)[0]).max()),
        float(np.abs(my_block(x0, 2)[0] - toy_gpt.block(x0, 2)[0]).max()),
    )
    show_derivation()
    return attention_part, block_gap, mlp_part, my_block, toy_gpt, toy_ids, x0


@app.cell(hide_code=True)
def _(block_gap, mo, toy_gpt, toy_ids):
    _cfg = toy_gpt.config
    mo.callout(
        mo.md(
            f"The toy: C = {_cfg.n_embd}, {_cfg.n_head} heads, {_cfg.n_layer} blocks, "
            f"T = {len(toy_ids)} positions, so x is {len(toy_ids)} × {_cfg.n_embd}. "
            f"**Checked:** `my_block` equals `NumpyGPT.block` of `core.mirrors.gpt` (largest "
            f"difference {block_gap:.1e}), which a test holds equal to core's PyTorch `Block`. "
            "The sections below read the stream through these checked pieces."
        ),
        kind="success" if block_gap < 1e-12 else "danger",
    )
    return


@app.cell(hide_code=True)
def _(experiment, mo, prediction_radio):
    mo.stop(prediction_radio.value is None, mo.md("*(Make the prediction of section 1 first.)*"))
    mo.vstack(
        [
            mo.md(
                "**Section 1's experiment, with GPT-2's wiring and the 2017 wiring added.** "
                "Same MLP layers, same weights: only where the additions and LayerNorms go "
                "changes. (The sliders are the same as above.)"
            ),
            experiment(["plain", "post-norm", "pre-norm"]),
        ]
    )
    return


@app.cell
def _(GAINS, MAX_DEPTH, gradient_ratio, measure, mo, prediction_radio):
    mo.stop(prediction_radio.value is None)  # about a second of work: only once it is shown
    # every gain the slider offers, at the deepest stack: per wiring, one number per gain
    sweep = {_w: {"rms": [], "ratio": []} for _w in ("plain", "pre-norm", "post-norm")}
    for _g in mo.status.progress_bar(
        GAINS, title=f"Measuring {MAX_DEPTH}-layer stacks at every gain", remove_on_exit=True
    ):
        for _w in sweep:
            _run = measure(_w, MAX_DEPTH, _g)
            sweep[_w]["rms"].append(_run.activation_rms[-1])
            sweep[_w]["ratio"].append(gradient_ratio(_run))
    return (sweep,)


@app.cell(hide_code=True)
def _(
    GAINS,
    MAX_DEPTH,
    depth_slider,
    format_number,
    gain_slider,
    gradient_ratio,
    mo,
    prediction_radio,
    profiles,
    sci,
    sweep,
):
    mo.stop(prediction_radio.value is None)
    _pre, _post = profiles["pre-norm"], profiles["post-norm"]

    def _span(w, key):
        return f"{sci(min(sweep[w][key]))} to {sci(max(sweep[w][key]))}"

    mo.md(
        f"""
    At N = {depth_slider.value}, gain {gain_slider.value}: with pre-norm the stream ends at
    RMS **{format_number(_pre.activation_rms[-1])}** and the bottom's gradient is
    **{format_number(gradient_ratio(_pre))}** times the top's; with post-norm,
    {format_number(_post.activation_rms[-1])} and {format_number(gradient_ratio(_post))}.
    Over all {len(GAINS)} gains at N = {MAX_DEPTH}, the bottom-to-top gradient ratio
    spans {_span("pre-norm", "ratio")} with pre-norm and {_span("post-norm", "ratio")}
    with post-norm, against **{_span("plain", "ratio")}** for the plain stack.
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Why pre-norm trains deeper stacks.** Read the pre-norm block backwards: since
    $x_{l+1} = x_l + f_l(x_l)$, the gradient is
    $\partial L/\partial x_l = \partial L/\partial x_{l+1} + (\text{what flows back through } f_l)$.
    The first term passes unchanged, so the gradient at the top reaches *every* layer
    directly, whatever the depth, plus the branches' contributions. In post-norm the
    residual path itself runs through every LayerNorm: $x_{l+1} = \mathrm{LN}(x_l + f_l(x_l))$,
    so the gradient from the top is multiplied by $N$ LayerNorm Jacobians on its way down,
    and no term skips them. Each Jacobian divides by the standard deviation of the sum
    $x_l + f_l(x_l)$ it normalised.

    At initialisation, in this toy, that costs post-norm nothing visible in the sizes: the
    divisions and what each branch adds back roughly cancel (the ratios above; section 4
    finds the cost it does show). That is the honest limit of a measurement at initialisation: once training has grown the
    branches, nothing keeps that balance, and the $N$ divisions compound. Wang et al. (2019,
    *Learning Deep Transformer Models for Machine Translation*) write out this very
    contrast (a product of LayerNorm Jacobians in post-norm, an identity term in pre-norm)
    and, with pre-norm, train 30-layer encoders; Zhang et al. (2019, *Improving Deep
    Transformer with Depth-Scaled Initialization and Merged Attention*) trace deep
    post-norm stacks' poor convergence to gradients vanishing through the interaction of
    the residual connections and the LayerNorms.

    Xiong et al. (2020, *On Layer Normalization in the Transformer Architecture*) name a
    second problem, one this toy *does* show: at initialisation a post-norm transformer's
    parameters near the output get large gradients whatever its depth, so it needs a
    learning-rate warm-up to train stably; pre-norm's shrink as the stack deepens, and it
    trains without one. GPT-2 is pre-norm, and GPT-3 kept its "pre-normalization" (Brown
    et al., 2020).
    """)
    return


@app.cell
def _(TOP_DEPTHS, measure, mo, prediction_radio):
    mo.stop(prediction_radio.value is None)
    # Xiong et al.'s quantity in the toy: ‖gradient of the top layer's weights‖, gain 1
    top_weight_grad = {
        _w: [measure(_w, _n, 1.0).weight_grad_norm[-1] for _n in TOP_DEPTHS]
        for _w in ("pre-norm", "post-norm")
    }
    return (top_weight_grad,)


@app.cell(hide_code=True)
def _(TOP_DEPTHS, format_number, mo, np, prediction_radio, top_weight_grad):
    mo.stop(prediction_radio.value is None)
    _pre, _post = top_weight_grad["pre-norm"], top_weight_grad["post-norm"]
    _rows = "\n".join(
        f"| {_w} | " + " | ".join(format_number(v, 0) for v in top_weight_grad[_w]) + " |"
        for _w in top_weight_grad
    )
    mo.md(
        "| ‖gradient of the top layer's weights‖, gain 1 | "
        + " | ".join(f"N = {n}" for n in TOP_DEPTHS)
        + " |\n|:---|"
        + "---:|" * len(TOP_DEPTHS)
        + "\n"
        + _rows
        + f"""

    Measured in the toy (its sliders do not apply here): from N = {TOP_DEPTHS[0]} to
    N = {TOP_DEPTHS[-1]}, post-norm's top-layer gradient stays between
    {format_number(min(_post), 0)} and {format_number(max(_post), 0)}, while pre-norm's falls
    from {format_number(_pre[0], 0)} to {format_number(_pre[-1], 0)}, about as
    $1/\\sqrt{{N}}$ (times $\\sqrt{{N}}$ it stays near
    {format_number(min(np.multiply(_pre, np.sqrt(TOP_DEPTHS))), 0)} to
    {format_number(max(np.multiply(_pre, np.sqrt(TOP_DEPTHS))), 0)}). The reason is the
    final LayerNorm: pre-norm's stream grows with depth and $\\mathrm{{LN}}_f$ divides by
    its size, while post-norm renormalises its stream after every layer. At
    N = {TOP_DEPTHS[-1]} post-norm's is {format_number(_post[-1] / _pre[-1], 1)} times
    pre-norm's. This is Xiong et al.'s theorem in small; they tie these large gradients at
    the top to the instability that post-norm's learning-rate warm-up is there to prevent.
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 3 · The residual stream: a running sum

    The "$x +$" in both lines is a **residual connection**, the skip connection of the
    ResNets of series 3: a branch computes a *change* to its input, not a replacement, so
    an identity path runs through the whole network and an extra layer can always fall
    back to changing nothing (the ResNet argument for why depth should not hurt). In a transformer this path is called the **residual
    stream**. Nothing in a block overwrites it; each sublayer reads it and adds its
    contribution. So the stream at the top is literally a sum:

    $$x_\text{final} = x_0 + \text{attn}_1 + \text{mlp}_1 + \text{attn}_2 + \text{mlp}_2 + \dots$$
    """)
    return


@app.cell(hide_code=True)
def _(mo, toy_gpt, toy_ids):
    mo.md(f"""
    Pick a position of the toy GPT ({len(toy_ids)} positions, {toy_gpt.config.n_layer}
    blocks) and read its sum term by term:
    """)
    return


@app.cell
def _(mo, toy_ids):
    position_slider = mo.ui.slider(
        0, len(toy_ids) - 1, value=len(toy_ids) - 1, label="position", show_value=True
    )
    position_slider
    return (position_slider,)


@app.cell
def _(my_block, np, toy_gpt, x0):
    # the stream's terms: x₀, then what each sublayer of each block added
    stream_terms = [("x₀ (token + position embedding)", x0)]
    _x = x0
    for _i in range(toy_gpt.config.n_layer):
        _x, _attn, _mlp = my_block(_x, _i)
        stream_terms += [(f"+ attn{_i + 1}", _attn), (f"+ mlp{_i + 1}", _mlp)]
    stream_sum = np.sum([term for _, term in stream_terms], axis=0)
    # core's forward, block after block, for comparison
    _x = x0
    for _i in range(toy_gpt.config.n_layer):
        _x, _ = toy_gpt.block(_x, _i)
    stream_gap = float(np.abs(stream_sum - _x).max())
    stream_final = _x
    return stream_final, stream_gap, stream_sum, stream_terms


@app.cell(hide_code=True)
def _(
    format_number,
    markdown_matrix,
    mo,
    np,
    position_slider,
    stream_final,
    stream_gap,
    stream_sum,
    stream_terms,
    toy_gpt,
):
    _t = position_slider.value
    _C, _blocks = toy_gpt.config.n_embd, toy_gpt.config.n_layer
    _shown = 6  # of the C features
    _rows = [term[_t, :_shown] for _, term in stream_terms]
    _rows += [stream_sum[_t, :_shown], stream_final[_t, :_shown]]
    _labels = [name for name, _ in stream_terms] + [
        "**= the sum of the rows above**",
        f"**x after {_blocks} blocks of core's forward**",
    ]
    _norms = [np.linalg.norm(term[_t]) for _, term in stream_terms]
    _table = markdown_matrix(
        np.column_stack([_rows, [*_norms, np.linalg.norm(stream_sum[_t]),
                                 np.linalg.norm(stream_final[_t])]]),
        _labels,
        [f"x[{j}]" for j in range(_shown)] + [f"‖all {_C}‖"],
        corner=f"position {_t}",
    )  # fmt: skip
    _biggest = int(np.argmax(_norms[1:])) + 1
    mo.md(
        f"""
    {_table}

    The first {_shown} of the {_C} features, and each term's length over all {_C}. The
    sum of the {len(stream_terms)} terms equals what core's forward computes (largest difference
    {stream_gap:.1e}). At position {_t} the largest write is **{stream_terms[_biggest][0][2:]}**
    (length {format_number(_norms[_biggest])}); the embedding itself is still one of the
    final vector's terms: no layer replaced it (a later write could only cancel it by
    adding its opposite). Random weights, so the
    sizes say nothing about a trained GPT; the *sum* holds for every GPT.
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Attention reads, the MLP writes.** The two sublayers add into the stream
    differently. Attention is the only place where positions exchange anything: it
    *reads* other positions' vectors and moves information between them. The MLP works on
    each position alone, transforming what is already there and writing the result
    back. (Both *write*, in the sense of adding to the stream; the slogan is about where
    they look.) Test it: change the vector entering block 1 at one position and see
    which positions' outputs move.
    """)
    return


@app.cell
def _(mo, toy_ids):
    poke_slider = mo.ui.slider(
        0, len(toy_ids) - 1, value=2, label="change the input at position", show_value=True
    )
    poke_slider
    return (poke_slider,)


@app.cell
def _(attention_part, mlp_part, np, poke_slider, x0):
    _poked = x0.copy()
    _poked[poke_slider.value] += np.random.default_rng(0).normal(0, 0.5, x0.shape[1])
    # each sublayer fed the original and the changed stream: how far did each output move?
    _a0, _m0 = attention_part(x0, 0), mlp_part(x0, 0)
    _a1, _m1 = attention_part(_poked, 0), mlp_part(_poked, 0)
    poke_changes = np.column_stack(
        [np.linalg.norm(_a1 - _a0, axis=1), np.linalg.norm(_m1 - _m0, axis=1)]
    )
    return (poke_changes,)


@app.cell(hide_code=True)
def _(markdown_matrix, mo, poke_changes, poke_slider):
    _p = poke_slider.value
    _moved_attn = [t for t in range(len(poke_changes)) if poke_changes[t, 0] > 1e-12]
    _moved_mlp = [t for t in range(len(poke_changes)) if poke_changes[t, 1] > 1e-12]
    mo.md(
        markdown_matrix(
            poke_changes.T,
            ["attention's output moved by", "the MLP's output moved by"],
            [f"pos {t}" for t in range(len(poke_changes))],
            corner=f"changed: pos {_p}",
            decimals=3,
        )
        + f"""

    The MLP's output moved at position{"s" if len(_moved_mlp) != 1 else ""}
    {", ".join(map(str, _moved_mlp))} only: it never looks beyond its own position.
    Attention's moved at positions {", ".join(map(str, _moved_attn))}: every position that
    may read position {_p} (the causal mask keeps the ones before it out). Information
    travels between positions only through attention.
    """
    )
    return


@app.cell(hide_code=True)
def _(X_DEPTH, format_number, mo, prediction_radio, profiles):
    mo.stop(prediction_radio.value is None)  # section 1's sliders appear with its experiment
    _ln, _pre = profiles["layernorm"], profiles["pre-norm"]
    mo.md(
        f"""
    **What the residual path buys, measured.** Back to section 1's stack (its sliders set
    the depth and gain): keep the LayerNorm but drop the residual,
    $x \\leftarrow \\mathrm{{mlp}}(\\mathrm{{ln}}(x))$. The sizes stay tame (stream RMS
    {format_number(_ln.activation_rms[-1])} at the top), but each layer *replaces* the
    vector, and random replacements forget where they came from: the {X_DEPTH.shape[0]} positions, unrelated
    at the input, end with a mean cosine similarity of **{format_number(_ln.similarity)}**
    to each other (1 would be identical vectors). With the residual stream (pre-norm) it
    is **{format_number(_pre.similarity)}**: each position keeps its own $x_0$ in its sum.
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 4 · LayerNorm, from scratch

    Each branch starts with a LayerNorm. For one position's vector $x$ of width $C$:

    $$\mu = \frac1C\sum_c x_c,\qquad \sigma^2 = \frac1C\sum_c (x_c-\mu)^2,\qquad
    \mathrm{LN}(x)_c = \gamma_c\,\frac{x_c-\mu}{\sqrt{\sigma^2+\epsilon}} + \beta_c$$

    Subtract the vector's own mean, divide by its own standard deviation, then let two
    learned vectors $\gamma$ (scale) and $\beta$ (shift) set the size the next layer
    gets. $\epsilon = 10^{-5}$ keeps the division safe.
    """)
    return


@app.cell
def _(np, show_derivation):
    def my_layer_norm(x, gamma, beta, eps=1e-5):
        """LayerNorm over the last axis (each position's own features), by hand."""
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)  # the biased variance, as torch
        return gamma * (x - mean) / np.sqrt(var + eps) + beta

    show_derivation()
    return (my_layer_norm,)


@app.cell(hide_code=True)
def _(layer_norm, mo, my_layer_norm, np, toy_gpt, x0):
    _g, _b = toy_gpt.weights["h.0.ln_1.weight"], toy_gpt.weights["h.0.ln_1.bias"]
    _g = _g + np.linspace(-0.5, 0.5, len(_g))  # a γ and β that are not (1, 0)
    _b = _b + np.linspace(0.3, -0.3, len(_b))
    layer_norm_gap = float(np.abs(my_layer_norm(x0, _g, _b) - layer_norm(x0, _g, _b)).max())
    mo.callout(
        mo.md(
            f"**Checked:** `my_layer_norm` equals `core.mirrors.gpt.layer_norm` on the toy's "
            f"{x0.shape[0]} × {x0.shape[1]} stream (largest difference {layer_norm_gap:.1e}). Now move one vector "
            "around and watch its LayerNorm."
        ),
        kind="success" if layer_norm_gap < 1e-12 else "danger",
    )
    return


@app.cell
def _(mo):
    scale_slider = mo.ui.slider(
        steps=[-2, -1, 0, 0.001, 0.01, 0.1, 0.5, 1, 2, 10, 100],
        value=2,  # a start where the input has moved and its LayerNorm has not
        label="scale a",
        show_value=True,
    )
    offset_slider = mo.ui.slider(-5, 5, step=0.5, value=1, label="offset b", show_value=True)
    mo.hstack([scale_slider, offset_slider], justify="start", gap=2)
    return offset_slider, scale_slider


@app.cell(hide_code=True)
def _(
    format_number,
    layer_norm,
    markdown_matrix,
    mo,
    np,
    offset_slider,
    scale_slider,
):
    _v = np.array([0.5, -1.2, 2.0, 0.3, -0.4, 1.1])  # one made-up vector, C = 6
    _a, _b = scale_slider.value, offset_slider.value
    _x = _a * _v + _b
    _out, _ref = layer_norm(_x), layer_norm(_v)  # γ = 1, β = 0
    _change = float(np.abs(_out - _ref).max())
    if _a > 0 and _change < 1e-3:
        _say = (
            "LayerNorm's output does **not move**: scaling and shifting a vector changes its "
            "mean and spread, and LayerNorm removes exactly those."
        )
    elif _a > 0:
        _var = format_number(float(_x.var()), 6)
        _say = (
            f"{'Almost unchanged, but not quite' if _change < 0.1 else 'Shrunk'}: at this "
            f"scale the vector's variance ({_var}) is no longer large beside ε = 0.00001 in "
            "√(σ² + ε), so ε shrinks the output."
        )
    elif _a == 0:
        _say = (
            "With a = 0 every feature equals b: there is no spread to normalise, the output is "
            "0 everywhere, and ε is what keeps it from dividing 0 by 0."
        )
    else:
        _say = "A negative scale flips the vector, and LayerNorm's output flips with it."
    mo.md(
        markdown_matrix(
            [_x, _out, _ref],
            ["input a·v + b", "LN(a·v + b)", "LN(v), for comparison"],
            [f"x{j}" for j in range(len(_v))],
            corner=f"a = {_a}, b = {_b}".replace("-", "−"),
        )
        + f"\n\nLargest difference from LN(v): **{format_number(_change, 4)}**. {_say}"
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Why not BatchNorm?** In series 1 and 3 you normalised with BatchNorm: each *feature*
    across the *batch* (for images, across the batch and the pixels). LayerNorm turns the
    axis round: each *position* across its own features. For sequences that choice
    matters. BatchNorm's statistics would mix positions and sequences of different
    lengths, padding included, so one token's output would depend on what else happens to
    be in the batch. At generation, one new token at a time, a training-mode batch holds a
    single vector, whose variance over the batch is 0. (BatchNorm's inference mode uses
    averages kept from training instead, which then never match what it was trained
    on exactly.) The same token, three ways:
    """)
    return


@app.cell(hide_code=True)
def _(format_number, markdown_matrix, mo, my_layer_norm, np):
    def _batch_norm(batch):
        """Training-mode BatchNorm over (B, T, C): each feature over every position."""
        flat = batch.reshape(-1, batch.shape[-1])
        return (batch - flat.mean(axis=0)) / np.sqrt(flat.var(axis=0) + 1e-5)

    _rng = np.random.default_rng(4)
    _a = _rng.normal(size=(5, 4))  # sequence A: 5 positions, C = 4
    _b = np.vstack([_rng.normal(2.0, 3.0, size=(3, 4)), np.zeros((2, 4))])  # 3 + 2 padding
    _cases = {
        "A with B (3 tokens + 2 padding)": np.stack([_a, _b]),
        "A alone": _a[None],
        "A's first token alone (generation)": _a[None, :1],
    }
    _bn = [_batch_norm(batch)[0, 0] for batch in _cases.values()]
    _ln = [my_layer_norm(batch[0, 0], 1.0, 0.0) for batch in _cases.values()]
    _spread = float(np.abs(np.array(_ln) - _ln[0]).max())
    mo.md(
        markdown_matrix(
            np.hstack([_bn, _ln]),
            list(_cases),
            [f"BN x{j}" for j in range(4)] + [f"LN x{j}" for j in range(4)],
            corner="A's first token, in a batch of",
        )
        + "\n\nBatchNorm gives the same token three different vectors, the last one all "
        "zeros; LayerNorm gives one (largest difference between its rows: "
        f"{format_number(_spread, 6)}). Its statistics are the token's own, so it behaves "
        "the same for any batch, any length, in training and in generation."
    )
    return


@app.cell(hide_code=True)
def _(MAX_DEPTH, mo):
    mo.md(rf"""
    **Exercise 2.** Predict before you measure. Take GPT-2's wiring from section 2's
    experiment and delete every LayerNorm (keep the residuals):
    $x \leftarrow x + \mathrm{{mlp}}(x)$, no final LN. With **{MAX_DEPTH}** layers and
    gain 1, the stream's RMS at the top, compared with pre-norm's, is…
    """)
    return


@app.cell
def _():
    NO_NORM = {
        "about the same": "same",
        "a few times larger": "few",
        "hundreds of times larger or more": "huge",
        "close to zero": "zero",
    }
    return (NO_NORM,)


@app.cell
def _(NO_NORM, mo):
    no_norm_radio = mo.ui.radio(options=list(NO_NORM), label="without LayerNorm, the top RMS is")
    no_norm_radio
    return (no_norm_radio,)


@app.cell(hide_code=True)
def _(MAX_DEPTH, NO_NORM, format_number, measure, mo, no_norm_radio):
    _bare = measure("residual", MAX_DEPTH, 1.0).activation_rms[-1]
    _pre = measure("pre-norm", MAX_DEPTH, 1.0).activation_rms[-1]
    _ratio = _bare / _pre
    _truth = "zero" if _ratio < 0.1 else "same" if _ratio < 2 else "few" if _ratio < 100 else "huge"
    _measured = (
        f"measured: {format_number(_bare, 0)} against pre-norm's {format_number(_pre)}, "
        f"{format_number(_ratio, 0)} times larger"
    )
    if no_norm_radio.value is None:
        _kind, _text = "neutral", "Pick a prediction above; the measurement appears once you have."
    elif NO_NORM[no_norm_radio.value] == _truth:
        _kind, _text = (
            "success",
            f"Right ({_measured}). Without a LayerNorm each branch's output is proportional "
            "to the stream it reads, so every layer multiplies the stream's size by a factor "
            "above one: geometric growth. With LN₁ the branch reads a normalised vector, its "
            "output has a fixed size, and the stream only grows by addition.",
        )
    else:
        _kind, _text = (
            "warn",
            f"Not quite: {_measured}. The residual keeps the sum, but each branch reads the "
            "*un*-normalised stream, so what it adds is proportional to the stream's size: "
            f"x grows by a factor (1 + something) per layer, {MAX_DEPTH} times over. Think compound "
            "interest, not a salary.",
        )
    mo.callout(mo.md(f"**Exercise 2.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(
    WIRINGS,
    depth_slider,
    experiment,
    format_number,
    gain_slider,
    gradient_ratio,
    mo,
    no_norm_radio,
    profiles,
    sci,
):
    mo.stop(no_norm_radio.value is None)
    _table = "\n".join(
        [
            f"| N = {depth_slider.value}, gain {gain_slider.value} | RMS at the top | "
            "gradient bottom / top | similarity of positions |",
            "|:---|---:|---:|---:|",
        ]
        + [
            f"| {label} | {sci(profiles[w].activation_rms[-1])} | "
            f"{sci(gradient_ratio(profiles[w]))} | {format_number(profiles[w].similarity)} |"
            for w, label in WIRINGS.items()
        ]
    )
    _bare, _ln, _pre = profiles["residual"], profiles["layernorm"], profiles["pre-norm"]
    _post = profiles["post-norm"]
    if _post.similarity > _pre.similarity + 0.05:
        _post_says = (
            "Post-norm keeps the sizes and the gradients steady too, but its positions drift "
            f"together (similarity **{format_number(_post.similarity)}**): each LayerNorm on "
            "its main path divides the whole sum, $x_0$ included, so the input's share of "
            "the stream shrinks layer after layer. That is section 2's point about its "
            "residual path, seen in the forward pass."
        )
    else:
        _post_says = (
            f"At this depth and gain post-norm keeps the positions apart too (similarity "
            f"{format_number(_post.similarity)}); raise the gain or N and watch it drift."
        )
    mo.vstack(
        [
            mo.md("**All five wirings**, same layers, same weights:"),
            experiment(list(WIRINGS)),
            mo.md(
                _table
                + f"""

    Each fix alone leaves a problem. The residual without LayerNorm ends at RMS
    **{sci(_bare.activation_rms[-1])}** (pre-norm: {sci(_pre.activation_rms[-1])}) and
    grows geometrically once the gain is 1 or more. The LayerNorm without the residual
    keeps sizes tame but makes the positions alike (similarity
    **{format_number(_ln.similarity)}**; pre-norm: {format_number(_pre.similarity)}).
    Pre-norm keeps the sizes and the gradients steady and the positions apart; its stream
    grows with N, slowly, by one bounded term per layer. (GPT-2 tames even that: it scales
    the initial weights of its residual layers by $1/\\sqrt{{N}}$, N the number of residual
    layers (Radford et al., 2019); core's `GPT`, like nanoGPT, scales each branch's output
    projection with $N$ = 2 × the number of blocks.)

    {_post_says}
    """
            ),
        ]
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 5 · The MLP

    The second branch is a two-layer network applied to every position separately:
    expand from $C$ to $4C$, apply **GELU**, project back to $C$.

    $$\mathrm{MLP}(x) = \mathrm{GELU}(x W_\text{fc}^\top + b_\text{fc})\, W_\text{proj}^\top + b_\text{proj},
    \qquad W_\text{fc}: 4C \times C,\; W_\text{proj}: C \times 4C$$

    GPT-2's GELU is the tanh approximation of $x\,\Phi(x)$ ($\Phi$ the standard normal's
    CDF): $\tfrac12 x\big(1 + \tanh(\sqrt{2/\pi}\,(x + 0.044715\,x^3))\big)$.
    """)
    return


@app.cell
def _(np, show_derivation):
    def my_gelu(x):
        """GPT-2's GELU, the tanh form, by hand."""
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))

    def my_mlp(x, W_fc, b_fc, W_proj, b_proj):
        """(T, C) -> (T, 4C) -> GELU -> (T, C); weights (out, in) as nn.Linear stores them."""
        hidden = my_gelu(x @ W_fc.T + b_fc)  # (T, 4C): the expansion
        return hidden @ W_proj.T + b_proj  # (T, C): back to the stream's width

    show_derivation()
    return my_gelu, my_mlp


@app.cell(hide_code=True)
def _(gelu, mlp, mo, my_gelu, my_mlp, np, toy_gpt, x0):
    _w, _p = toy_gpt.weights, "h.1.mlp."
    _args = [_w[_p + n] for n in ("c_fc.weight", "c_fc.bias", "c_proj.weight", "c_proj.bias")]
    _grid = np.linspace(-6, 6, 241)
    mlp_gap = max(
        float(np.abs(my_mlp(x0, *_args) - mlp(x0, *_args)).max()),
        float(np.abs(my_gelu(_grid) - gelu(_grid)).max()),
    )
    mo.callout(
        mo.md(
            f"**Checked:** `my_gelu` and `my_mlp` equal core's `gelu` and `mlp` "
            f"(largest difference {mlp_gap:.1e}; the MLP on the toy's "
            f"{x0.shape[0]} × {x0.shape[1]} stream, through "
            f"a {_args[0].shape[0]}-wide hidden layer)."
        ),
        kind="success" if mlp_gap < 1e-12 else "danger",
    )
    return


@app.cell(hide_code=True)
def _(alt, format_number, gelu, mo, np, pd):
    _x = np.linspace(-4, 3, 141)
    _curves = pd.DataFrame(
        {
            "x": np.concatenate([_x, _x]),
            "y": np.concatenate([gelu(_x), np.maximum(_x, 0)]),
            "function": ["GELU (tanh form)"] * len(_x) + ["ReLU"] * len(_x),
        }
    )
    _chart = (
        alt.Chart(_curves)
        .mark_line()
        .encode(
            x=alt.X("x:Q", title="input x (a hidden unit's pre-activation)"),
            y=alt.Y("y:Q", title="activation f(x)"),
            color=alt.Color(
                "function:N",
                scale=alt.Scale(range=["#2e86ab", "#d1495b"]),
                legend=alt.Legend(orient="top-left"),
            ),
            strokeDash="function:N",
        )
        .properties(width=380, height=240, title="GELU against ReLU")
    )
    _low = float(_x[np.argmin(gelu(_x))])
    mo.hstack(
        [
            _chart,
            mo.md(
                f"GELU is ReLU with the corner smoothed: for large |x| they agree, near 0 "
                f"GELU lets small negative inputs through, slightly negative (its minimum is "
                f"{format_number(float(gelu(np.array([_low]))[0]), 3)}, near x = "
                f"{format_number(_low)}). ReLU's gradient is exactly 0 for every negative "
                "input; GELU's is 0 only at that minimum and fades slowly beyond it, so a unit "
                "pushed a little below zero still gets a gradient and can learn its way back."
            ),
        ],
        justify="start",
        gap=2,
        widths=[3, 2],
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Exercise 3.** Count the parameters of **one block** of width $C = 256$: attention's
    four projections (lesson 7), the MLP's two, every bias, both LayerNorms' $\gamma$ and
    $\beta$. The number of heads does not matter; can you see why? The breakdown for
    other widths appears below once you have entered a count.
    """)
    return


@app.cell
def _(mo):
    block_count_number = mo.ui.number(value=None, step=1, label="parameters in one block, C = 256:")
    block_count_number
    return (block_count_number,)


@app.cell(hide_code=True)
def _(block_count_number, block_parameters, mo):
    _C = 256
    _parts = block_parameters(_C)
    _answer = sum(_parts.values())
    _value = block_count_number.value
    _mistakes = {
        12 * _C**2: "That is the weight matrices only: add the biases (4C for attention, "
        "4C + C for the MLP) and the two LayerNorms' γ and β (2C each).",
        12 * _C**2 + 9 * _C: "Close: you left out the two LayerNorms, each with a γ and a β "
        "of width C.",
        12 * _C**2 + 4 * _C: "Close: you counted the LayerNorms but not the Linear layers' "
        "biases (4C for attention's q, k, v and output, 4C + C for the MLP).",
        10 * _C**2 + 12 * _C: "Attention has four C × C matrices, not two: query, key, value "
        "and the output projection.",
        11 * _C**2 + 12 * _C: "Attention has four C × C matrices: query, key, value, and the "
        "output projection (lesson 7).",
        6 * _C**2 + 13 * _C: "The MLP expands to 4C: each of its two matrices is C × 4C.",
        6 * _C**2 + 10 * _C: "The MLP expands to 4C: each of its two matrices is C × 4C, "
        "and its first bias has 4C entries.",
        12 * _C**2 + 11 * _C: "Close: each LayerNorm has two vectors of width C, a scale γ "
        "and a shift β, not one.",
    }
    if _value is None:
        _kind, _text = "neutral", "Type your count above."
    elif _value == _answer:
        _kind, _text = (
            "success",
            f"Correct: 12C² + 13C = {_answer:,} (attention {_parts['attention']:,}, MLP "
            f"{_parts['MLP']:,}, LayerNorms {_parts['LayerNorms']:,}). The heads only split "
            "the same C × C matrices into slices, so their number changes nothing.",
        )
    elif _value in _mistakes:
        _kind, _text = "warn", f"Not {int(_value):,}. {_mistakes[_value]}"
    else:
        _kind, _text = (
            "warn",
            f"Not {int(_value):,}. Hint: attention is 4 matrices of C × C with a bias each; "
            "the MLP is C × 4C and 4C × C with biases of 4C and C; two LayerNorms of 2C "
            "each. Write it as a·C² + b·C first.",
        )
    mo.callout(mo.md(f"**Exercise 3.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(Config, expected_shapes, np):
    def block_parameters(C):
        """{part: count} of one block of width C, from the shapes of core's NumPy GPT."""
        _shapes = expected_shapes(Config(vocab_size=1, block_size=1, n_layer=1, n_head=1, n_embd=C))
        _parts = {"attention": 0, "MLP": 0, "LayerNorms": 0}
        for _name, _shape in _shapes.items():
            if _name.startswith("h.0."):
                _part = (
                    "attention"
                    if ".attn." in _name
                    else "MLP"
                    if ".mlp." in _name
                    else "LayerNorms"
                )
                _parts[_part] += int(np.prod(_shape))
        return _parts

    return (block_parameters,)


@app.cell(hide_code=True)
def _(block_count_number, block_parameters, mo, toy_gpt):
    # the table and its formula would answer exercise 3: they wait for a count
    mo.stop(
        block_count_number.value is None,
        mo.md("*The breakdown appears once you have entered a count.*"),
    )
    _toy_C = toy_gpt.config.n_embd
    _sizes = {
        f"the toy (C = {_toy_C})": _toy_C,
        "GPT-2 small (C = 768)": 768,
        "GPT-2 XL (C = 1600)": 1600,
    }
    _lines = [
        "| parameters of one block | attention | MLP | LayerNorms | block | MLP share |",
        "|:---|---:|---:|---:|---:|---:|",
    ]
    for _name, _C in _sizes.items():
        _p = block_parameters(_C)
        _total = sum(_p.values())
        _lines.append(
            f"| {_name} | {_p['attention']:,} | {_p['MLP']:,} | {_p['LayerNorms']:,} | "
            f"{_total:,} | {100 * _p['MLP'] / _total:.1f}% |"
        )
    _table = "\n".join(_lines)
    _gpt2 = block_parameters(768)
    mo.md(
        _table
        + f"""

    **Where the parameters are.** Attention has four $C \\times C$ matrices (query, key,
    value, output: $4C^2$) plus $4C$ biases; the MLP has two $C \\times 4C$ matrices
    ($8C^2$) plus $4C + C$ biases; each LayerNorm has $\\gamma$ and $\\beta$ ($2C$). So
    **{100 * _gpt2["MLP"] / sum(_gpt2.values()):.0f}%** of every block is MLP:
    {_gpt2["MLP"]:,} of GPT-2 small's {sum(_gpt2.values()):,} per block. Attention decides
    where information moves; by parameter count, most of a block's capacity to store
    what it learns sits in the MLP (lesson 9 counts the whole model).
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Recap

    - A plain deep stack makes the signal and the gradient shrink or grow **geometrically**
      with depth (you measured it); a good initialisation only balances it on a knife edge.
    - GPT-2's block: $x \leftarrow x + \mathrm{MHA}(\mathrm{LN}_1(x))$,
      $x \leftarrow x + \mathrm{MLP}(\mathrm{LN}_2(x))$, and a final LayerNorm after the
      stack. Pre-norm keeps a pure addition path from top to bottom; post-norm's "add &
      norm" sends that path through every LayerNorm. At initialisation the toy showed no
      gap in sizes, but it did show post-norm's top-layer gradients staying large at any
      depth (Xiong et al.'s reason for its warm-up); in training, pre-norm trains the deeper
      stacks (Wang et al., 2019).
    - The **residual stream** is a running sum: $x_0 + \text{attn}_1 + \text{mlp}_1 + \dots$.
      Attention moves information between positions; the MLP transforms each position alone.
    - **LayerNorm** normalises each position over its own features, so it ignores the
      vector's scale and offset and never depends on the batch, unlike BatchNorm.
    - The **MLP** expands to $4C$, applies GELU, projects back, and holds most of a
      block's $12C^2 + 13C$ parameters ($8C^2 + 5C$ of them).

    Lesson 9 stacks these blocks between an embedding and an output layer: the whole GPT,
    and all of GPT-2's parameters counted.
    """)
    return


@app.cell(hide_code=True)
def _(mo, next_lesson_markdown):
    mo.md(next_lesson_markdown(8, mo))
    return


if __name__ == "__main__":
    app.run()
