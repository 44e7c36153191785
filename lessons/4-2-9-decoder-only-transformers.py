# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25.2",
#     "numpy>=1.26",
#     "altair>=5.4",
#     "pandas>=2.1",
# ]
# ///
"""Lesson 9 (module 4.2): decoder-only transformers, the GPT architecture.

The whole GPT end to end in NumPy on the learner's own text; the causal mask as the leak it
prevents (a leak detector); the residual stream as a running sum; counting parameters exactly
(GPT-2's four sizes, and why the paper says 117M); why decoder-only won.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="9 · Decoder-Only Transformers (GPT Architecture)")


@app.cell(hide_code=True)
def _():
    import altair as alt
    import marimo as mo
    import numpy as np
    import pandas as pd

    from core.course.attention_lessons import format_number, markdown_matrix
    from core.course.catalog import next_lesson_markdown
    from core.course.lesson_model import load_lesson_model
    from core.course.gpt_lesson import (
        COMPONENTS,
        GPT1_VOCAB_SIZE,
        GPT2_PAPER_COUNTS,
        GPT2_SIZES,
        check_causality_cell,
        check_parameter_count,
        copycat_gpt,
        forward_with_mask,
        gpt2_config,
        leak_report,
        paper_count_candidates,
        parameter_breakdown,
        text_loss,
    )
    from core.mirrors.attention import causal_mask
    from core.mirrors.gpt import Config, layer_norm, mlp, multi_head_attention
    from core.mirrors.softmax import softmax

    return (
        COMPONENTS,
        Config,
        GPT1_VOCAB_SIZE,
        GPT2_PAPER_COUNTS,
        GPT2_SIZES,
        alt,
        causal_mask,
        check_causality_cell,
        check_parameter_count,
        copycat_gpt,
        format_number,
        forward_with_mask,
        gpt2_config,
        layer_norm,
        leak_report,
        load_lesson_model,
        markdown_matrix,
        mlp,
        mo,
        multi_head_attention,
        next_lesson_markdown,
        np,
        paper_count_candidates,
        parameter_breakdown,
        pd,
        softmax,
        text_loss,
    )


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Decoder-Only Transformers (GPT Architecture)

    *Module 4.2 · Lesson 9 of 18*

    Lessons 4 to 8 built the parts: attention, queries and keys, values, heads, the
    block. This lesson puts a whole GPT together, in NumPy, and runs your own text through
    it. Then it asks what the **causal mask** is really for, counts every parameter of
    GPT-2 exactly, and says why this one design took over language modelling.
    """)
    return


@app.cell(hide_code=True)
def _(load_lesson_model, mo):
    lm = load_lesson_model(mo)
    cfg = lm.model.config
    # the short name every later result is reported under
    model_name = (
        lm.meta.get("preset", "trained character model") if lm.trained else "the random stand-in"
    )
    mo.callout(
        mo.md(
            f"**The model on this page:** {lm.description.rstrip('.')}. In this lesson's "
            f"letters: vocabulary V = {cfg.vocab_size} characters, context T = "
            f"{cfg.block_size}, L = {cfg.n_layer} blocks of H = {cfg.n_head} heads, width "
            f"C = {cfg.n_embd}."
        ),
        kind="success" if lm.trained else "warn",
    )
    return cfg, lm, model_name


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 1 · One call, T predictions

    A GPT takes a sequence of token ids and returns, **at every position**, a score for
    every token of the vocabulary: what it thinks comes next. Here the tokens are
    characters. Type some text (the characters of Tiny Shakespeare: letters, spaces,
    punctuation):
    """)
    return


@app.cell
def _(mo):
    text_input = mo.ui.text(value="ROMEO: But soft, what light", label="your text", full_width=True)
    text_input
    return (text_input,)


@app.cell(hide_code=True)
def _(cfg, lm, mo, text_input):
    _default = "ROMEO: But soft, what light"
    _raw, _message = text_input.value, None
    try:
        lm.encode(_raw)
    except ValueError as _error:
        _message = f"Your text cannot be read: {_error}."
    if _message is None and len(_raw) < 2:
        _message = "Type at least two characters: one to read, one to predict."
    if _message is None and len(_raw) > cfg.block_size:
        _message = (
            f"Your text has {len(_raw)} characters; the model's context is T = "
            f"{cfg.block_size}, so it reads the last {cfg.block_size}."
        )
        text = _raw[-cfg.block_size :]
    elif _message is None:
        text = _raw
    else:
        _message += f" Using “{_default}” meanwhile."
        text = _default
    ids = lm.encode(text)
    T = len(ids)
    mo.callout(mo.md(_message), kind="warn") if _message else None
    return T, ids, text


@app.cell(hide_code=True)
def _(lm, np, softmax):
    def show_char(c):
        """A character as the tables print it: newline and space made visible."""
        return {"\n": "⏎", " ": "␣", "|": "¦"}.get(c, c)

    def top_chars(logits, k=3):
        """The k likeliest next characters of one row of logits, with their probabilities."""
        _p = softmax(logits)
        _best = np.argsort(-_p)[:k]
        return [(lm.chars[i], float(_p[i])) for i in _best]

    return show_char, top_chars


@app.cell(hide_code=True)
def _(
    T,
    format_number,
    ids,
    lm,
    mo,
    model_name,
    np,
    show_char,
    softmax,
    text,
    text_loss,
    top_chars,
):
    logits, attention = lm.model.forward(ids)
    probs = softmax(logits)
    _next_p = probs[np.arange(T - 1), ids[1:]]
    page_loss = text_loss(lm.model, ids)
    _rows = []
    for _i in range(max(0, T - 8), T):
        _guesses = ", ".join(
            f"“{show_char(c)}” {format_number(p)}" for c, p in top_chars(logits[_i])
        )
        _seen = show_char(text[max(0, _i - 11) : _i + 1])
        _actual = f"“{show_char(text[_i + 1])}” {format_number(_next_p[_i])}" if _i < T - 1 else "?"
        _rows.append(f"| {_i} | `…{_seen}` | {_guesses} | {_actual} |")
    mo.md(
        f"`ids` has shape (T,) = ({T},); `lm.model.forward(ids)` ({model_name} run by "
        "core's NumPy GPT, `core.mirrors.gpt`, which section 3 rebuilds stage by stage) "
        "returns logits of shape "
        f"(T, V) = {logits.shape} and every head's attention, (L, H, T, T) = "
        f"{attention.shape}. The last {min(8, T)} positions:\n\n"
        "| position | has read | top 3 guesses for the next character | the actual next, its p |\n"
        "|---:|:---|:---|:---|\n" + "\n".join(_rows) + "\n\n"
        f"Averaged over the {T - 1} positions whose next character is known, the loss on "
        f"your text is {format_number(page_loss)} nats for {model_name} (a uniform guess over {len(lm.chars)} "
        f"characters scores ln {len(lm.chars)} = {format_number(np.log(len(lm.chars)))})."
    )
    return attention, logits, page_loss, probs


@app.cell(hide_code=True)
def _(T, mo):
    mo.md(rf"""
    Position $i$ is trained to predict character $i+1$. But character $i+1$ is **in the
    input too**: the model got all {T} characters at once. Before the experiment below,
    predict:

    *If you change one character in the middle of your text, which positions' predictions
    can change?*
    """)
    return


@app.cell
def _(mo):
    leak_prediction = mo.ui.radio(
        options=[
            "every position: attention mixes all of them",
            "only that position and the ones after it",
            "only that position",
        ],
        label="your prediction",
    )
    leak_prediction
    return (leak_prediction,)


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 2 · The leak detector

    Pick a position, pick a character to put there, and the detector runs the model twice,
    on your text and on the changed one, and measures how far each position's logits
    moved (the largest change over the vocabulary).
    """)
    return


@app.cell
def _(T, leak_prediction, lm, mo):
    mo.stop(
        leak_prediction.value is None,
        mo.md("*Choose a prediction above to switch on the detector and exercise 1.*"),
    )
    change_slider = mo.ui.slider(
        1, T - 1, value=T // 2, label="change the character at position", show_value=True
    )
    replacement_dropdown = mo.ui.dropdown(
        options=[c for c in lm.chars if c.isalpha()], value="z", label="to"
    )
    mask_switch = mo.ui.switch(value=True, label="causal mask")
    mo.hstack([change_slider, replacement_dropdown, mask_switch], justify="start", gap=2)
    return change_slider, mask_switch, replacement_dropdown


@app.cell(hide_code=True)
def _(
    alt,
    change_slider,
    format_number,
    ids,
    leak_report,
    lm,
    mask_switch,
    mo,
    pd,
    replacement_dropdown,
    show_char,
    text,
):
    _j = change_slider.value
    _new = lm.chars.index(replacement_dropdown.value)
    moved = leak_report(lm.model, ids, _j, _new, causal=mask_switch.value)
    _before = moved[:_j]
    leaked = [i for i in range(_j) if moved[i] > 0]
    _frame = pd.DataFrame(
        {
            "position": range(len(ids)),
            "char": [f"{i} {show_char(c)}" for i, c in enumerate(text)],
            "moved": moved,
            "where": [
                "before the change" if i < _j else "the change and after" for i in range(len(ids))
            ],
        }
    )
    _chart = (
        alt.Chart(_frame)
        .mark_bar()
        .encode(
            x=alt.X("char:N", sort=None, title="position and the character there"),
            y=alt.Y("moved:Q", title="largest change of a logit"),
            color=alt.Color(
                "where:N",
                scale=alt.Scale(
                    domain=["before the change", "the change and after"],
                    range=["#d1495b", "#9aa5b1"],
                ),
                title=None,
            ),
            tooltip=["position", "moved"],
        )
        .properties(height=180, width="container")
    )
    _mask = "on" if mask_switch.value else "off"
    if text[_j] == replacement_dropdown.value:
        _verdict = "That is the character already there, so nothing changes: pick another."
    elif leaked:
        _verdict = (
            f"With the mask **{_mask}**, {len(leaked)} of the {_j} positions before {_j} moved "
            f"(up to {format_number(_before.max(), 3)}): they saw character {_j}, the future."
        )
    else:
        _verdict = (
            f"With the mask **{_mask}**, none of the {_j} positions before {_j} moved: their "
            f"logits are bit-for-bit the same (largest change {_before.max():g}). Position "
            f"{_j} and after moved by up to {format_number(moved[_j:].max(), 3)}."
        )
    mo.vstack(
        [
            _chart,
            mo.md(
                f"Character {_j} “{show_char(text[_j])}” → “{show_char(replacement_dropdown.value)}”. "
                + _verdict
            ),
        ]
    )
    return leaked, moved


@app.cell(hide_code=True)
def _(leak_prediction, mask_switch, mo):
    _feedback = {
        "only that position and the ones after it": "Your prediction was right: ",
        "every position: attention mixes all of them": (
            "You predicted *every position*. That is attention without a mask (switch it "
            "off below and see); GPT's attention is masked: "
        ),
        "only that position": (
            "You predicted *only that position*. But every later position attends back to "
            "it, so they change too: "
        ),
    }
    mo.md(
        _feedback[leak_prediction.value]
        + "with the mask on, a change reaches only its own position and the ones after it. "
        + (
            "Now switch the mask **off** and watch the red bars."
            if mask_switch.value
            else "With the mask off, the red bars are what it was holding back."
        )
    )
    return


@app.cell(hide_code=True)
def _(
    T,
    cfg,
    copycat_gpt,
    format_number,
    ids,
    leak_prediction,
    lm,
    mo,
    model_name,
    np,
    page_loss,
    text_loss,
):
    mo.stop(leak_prediction.value is None)
    _cheat = copycat_gpt(cfg.vocab_size, cfg.block_size)
    _cheat_open, _cheat_masked = text_loss(_cheat, ids, causal=False), text_loss(_cheat, ids)
    _open_loss = text_loss(lm.model, ids, causal=False)
    _losses = (
        f"unmasked, its loss on your text is {format_number(_open_loss)} nats, against "
        f"{format_number(page_loss)} with the mask."
    )
    _trained_note = (
        f"This page's model, {model_name}, was trained with the mask, so it never learned "
        "to use the "
        "future: " + _losses + " Shown the answer, it does not copy it; nothing in its "
        "training ever rewarded looking there."
        if lm.trained
        else f"This page's model, {model_name}, is untrained, so masked or not its "
        "guesses are noise: " + _losses
    )
    mo.md(rf"""
    **What the mask prevents is a leak, not work.** In training, position $i$'s answer is
    character $i+1$, and that character is sitting in the input. Without the mask,
    attention can simply read it. How much is that worth? A one-block GPT built by hand to
    cheat (`copycat_gpt`: C = V + T = {_cheat.config.n_embd}, one head whose query at
    position $i$ asks for position $i+1$ and copies its character) scores
    **{format_number(_cheat_open, 4)} nats** on your text with the mask off: near-perfect.
    With the mask on, the same weights score **{format_number(_cheat_masked)} nats**, worse
    than a uniform guess (ln {cfg.vocab_size} = {format_number(np.log(cfg.vocab_size))}).
    Training without the mask would find that shortcut, and a model that learned it
    cannot write a single character: when it writes, character $i+1$ does not exist yet.

    It is the leak you met in series 1: let validation data into training and the score
    looks perfect and means nothing. Here the answer leaks into the question.

    The mask is **not** there for speed. The masked forward on this page computes all
    $T^2$ = {T * T} scores per head and then throws away the {T * (T - 1) // 2} above the
    diagonal; unmasked costs the same. (Fused GPU kernels such as FlashAttention-2 do
    skip the blocks that are entirely masked, Dao 2023, an optimisation added on top of a
    mask that exists for correctness.)

    {_trained_note}
    """)
    return


@app.cell(hide_code=True)
def _(T, causal_mask, leak_prediction, mo, show_char, text):
    mo.stop(leak_prediction.value is None)  # the exercise follows the detector and its answer
    exercise_row = min(3, T - 2)
    _n = min(T, 6)
    _mask = causal_mask(_n)
    _cols = [f"{j} {show_char(text[j])}" for j in range(_n)]
    _lines = [
        "| query ↓ · key → | " + " | ".join(_cols) + " |",
        "|:---|" + ":---:|" * _n,
    ]
    for _i in range(_n):
        _lines.append(
            f"| **{_i} {show_char(text[_i])}** | "
            + " | ".join("✓" if _mask[_i, j] else "·" for j in range(_n))
            + " |"
        )
    mo.md(
        f"""
    **Exercise 1 · find the cell.** The causal mask of your text's first {_n} characters
    (✓ = may attend, · = blocked; rows are the positions asking, columns the characters
    they may read):

    {chr(10).join(_lines)}

    Position {exercise_row} (“{show_char(text[exercise_row])}”) is trained to predict the
    character after it. Which **one** cell, if you opened it, would hand position
    {exercise_row} its own answer? Type its row and column.
    """
    )
    return (exercise_row,)


@app.cell
def _(leak_prediction, mo):
    mo.stop(leak_prediction.value is None)
    cell_row = mo.ui.number(value=None, step=1, label="row (query)")
    cell_column = mo.ui.number(value=None, step=1, label="column (key)")
    mo.hstack([cell_row, cell_column], justify="start", gap=2)
    return cell_column, cell_row


@app.cell(hide_code=True)
def _(cell_column, cell_row, check_causality_cell, exercise_row, mo):
    _ok, _text = check_causality_cell(cell_row.value, cell_column.value, row=exercise_row)
    mo.callout(
        mo.md(f"**Exercise 1.** {_text}"),
        kind="success" if _ok else ("neutral" if cell_row.value is None else "warn"),
    )
    return


@app.cell(hide_code=True)
def _(
    T,
    causal_mask,
    cell_column,
    cell_row,
    forward_with_mask,
    ids,
    leak_report,
    lm,
    mo,
):
    mo.stop(cell_row.value is None or cell_column.value is None)
    _r, _c = int(cell_row.value), int(cell_column.value)
    mo.stop(
        not (0 <= _r < T and 0 <= _c < T),
        mo.md(f"*Row and column must lie in 0 … {T - 1} for your text.*"),
    )
    _allowed = causal_mask(T)
    _allowed[_r, _c] = True
    _moved = leak_report(lm.model, ids, _c, (int(ids[_c]) + 1) % len(lm.chars), causal=_allowed)
    _leaks = [i for i in range(_c) if _moved[i] > 0]
    _later = [i for i in _leaks if i != _r]
    _same = forward_with_mask(lm.model, ids, causal_mask(T))
    _check = abs(_same - lm.model.forward(ids)[0]).max()
    mo.md(
        f"**Your cell, opened.** With cell ({_r}, {_c}) open in every block and character "
        f"{_c} changed, the positions before {_c} whose logits moved: "
        + (
            f"**{', '.join(map(str, _leaks))}**. One open cell is enough."
            + (
                f" Position{'s' if len(_later) > 1 else ''} {', '.join(map(str, _later))} "
                f"never read{'' if len(_later) > 1 else 's'} character {_c} directly: "
                f"{'they read' if len(_later) > 1 else 'it reads'} position {_r}'s stream "
                "in the next block, so the leak spreads forward."
                if _later
                else ""
            )
            if _leaks
            else "none: that cell was no leak."
        )
        + " (This runs `forward_with_mask`, a forward with any mask; with no cell open it "
        f"equals the mirror's causal forward, largest difference {_check:g}.)"
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 3 · Inside the call, stage by stage

    $$
    \underbrace{\text{ids}}_{(T,)}
    \xrightarrow{\;W_{te}[\text{ids}]\;} \underbrace{\text{tokens}}_{(T,C)}
    \xrightarrow{\;+\,W_{pe}[:T]\;} \underbrace{x}_{(T,C)}
    \xrightarrow{\;L \times \text{block}\;} (T,C)
    \xrightarrow{\;\text{ln}_f\;} (T,C)
    \xrightarrow{\;\cdot\, W_{te}^\top\;} \underbrace{\text{logits}}_{(T,V)}
    \xrightarrow{\;\text{softmax}\;} (T,V)
    $$

    Each stage below is written out by hand from the model's arrays (`W`, named as in
    GPT-2's checkpoint) and checked against the mirror, `core.mirrors.gpt`, which a test
    holds equal to the course's PyTorch GPT.
    """)
    return


@app.cell
def _(ids, lm, np):
    W = lm.model.weights
    # 1. embedding lookup: row ids[t] of the token table, for every position t
    tokens = W["wte.weight"][ids]  # (T, C)
    # a lookup is a matrix product with one-hot rows (lesson 3): same numbers
    one_hot = np.eye(len(lm.chars))[ids]  # (T, V)
    lookup_gap = np.abs(one_hot @ W["wte.weight"] - tokens).max()
    # 2. positions: row t of the position table is added to the token at position t
    positions = W["wpe.weight"][: len(ids)]  # (T, C)
    x0 = tokens + positions
    return W, lookup_gap, one_hot, positions, tokens, x0


@app.cell(hide_code=True)
def _(W, lookup_gap, mo, one_hot, tokens, x0):
    mo.md(
        f"`W['wte.weight']` is (V, C) = {W['wte.weight'].shape}: one row per character. "
        f"Looking up your ids gives `tokens` {tokens.shape}; the one-hot product "
        f"{one_hot.shape} · {W['wte.weight'].shape} gives the same numbers (largest "
        f"difference {lookup_gap:g}). Adding `W['wpe.weight'][:T]` "
        f"({W['wpe.weight'].shape[0]} learned positions, the first {x0.shape[0]} used) "
        f"gives `x0` {x0.shape}: the residual stream's starting point."
    )
    return


@app.cell
def _(W, cfg, layer_norm, lm, mlp, multi_head_attention, np, x0):
    def block_parts(x, i):
        """Block i written out: (what attention adds, what the MLP adds) to the stream x."""
        p = f"h.{i}."
        attn_out, _ = multi_head_attention(
            layer_norm(x, W[p + "ln_1.weight"], W[p + "ln_1.bias"]),
            W[p + "attn.c_attn.weight"], W[p + "attn.c_attn.bias"],
            W[p + "attn.c_proj.weight"], W[p + "attn.c_proj.bias"],
            cfg.n_head,
        )  # fmt: skip
        x = x + attn_out  # attention reads other positions, writes into the stream
        mlp_out = mlp(
            layer_norm(x, W[p + "ln_2.weight"], W[p + "ln_2.bias"]),
            W[p + "mlp.c_fc.weight"], W[p + "mlp.c_fc.bias"],
            W[p + "mlp.c_proj.weight"], W[p + "mlp.c_proj.bias"],
            cfg.gelu,
        )  # fmt: skip
        return attn_out, mlp_out

    # 3. block 0 by hand, against the mirror's block
    _a, _m = block_parts(x0, 0)
    x1 = x0 + _a + _m
    block_gap = np.abs(x1 - lm.model.block(x0, 0)[0]).max()
    return block_gap, block_parts, x1


@app.cell(hide_code=True)
def _(W, block_gap, cfg, mo, x1):
    _C, _H, _T = cfg.n_embd, cfg.n_head, x1.shape[0]
    _stream = f"({_T}, {_C})"
    _steps = [
        ("the stream in, `x0`", _stream),
        ("LayerNorm `ln_1`", _stream),
        (f"`c_attn` {W['h.0.attn.c_attn.weight'].shape} makes q, k, v", f"3 × {_stream}"),
        (f"each split into H = {_H} heads", f"({_H}, {_T}, {_C // _H})"),
        ("attention weights, one map per head", f"({_H}, {_T}, {_T})"),
        (f"heads side by side, then `c_proj` {W['h.0.attn.c_proj.weight'].shape}", _stream),
        ("**add** to the stream", _stream),
        (
            f"LayerNorm `ln_2`, MLP `c_fc` {W['h.0.mlp.c_fc.weight'].shape}, GELU",
            f"({_T}, {4 * _C})",
        ),
        (f"MLP `c_proj` {W['h.0.mlp.c_proj.weight'].shape}", _stream),
        ("**add** to the stream: `x1`", str(x1.shape)),
    ]
    mo.md(
        "One block (lessons 7 and 8), every shape on your text:\n\n"
        "| step | shape |\n|:---|:---|\n"
        + "\n".join(f"| {step} | {shape} |" for step, shape in _steps)
        + f"\n\nThe block's output has its input's shape, {x1.shape}, which is what lets "
        f"blocks stack. By hand against `lm.model.block(x0, 0)`: largest difference "
        f"{block_gap:g}."
    )
    return


@app.cell
def _(W, block_parts, cfg, layer_norm, logits, np, softmax, x0):
    # 4. every block, keeping each term added to the stream (the running sum)
    terms = {"token embedding": None, "position embedding": None}
    x = x0
    for _i in range(cfg.n_layer):
        _a, _m = block_parts(x, _i)
        terms[f"block {_i + 1} attention"] = _a
        terms[f"block {_i + 1} MLP"] = _m
        x = x + _a + _m
    # 5. the final LayerNorm, then 6. the LM head: the token table again, transposed
    x_final = layer_norm(x, W["ln_f.weight"], W["ln_f.bias"])  # (T, C)
    my_logits = x_final @ W["wte.weight"].T  # (T, C) · (C, V) = (T, V)
    my_probs = softmax(my_logits)  # 7. one distribution per position
    logits_gap = np.abs(my_logits - logits).max()
    return logits_gap, my_logits, my_probs, terms, x


@app.cell(hide_code=True)
def _(T, W, cfg, format_number, logits_gap, mo, my_logits, my_probs, show_char, text, top_chars):
    _last = ", ".join(
        f"“{show_char(c)}” {format_number(p)}" for c, p in top_chars(my_logits[-1], 5)
    )
    mo.md(
        f"After {cfg.n_layer} blocks and `ln_f`, the LM head multiplies by "
        f"`W['wte.weight'].T` {W['wte.weight'].T.shape}: the **same** matrix that turned "
        "ids into vectors turns vectors back into one score per id. This is *weight tying* "
        "(GPT-2 does it; it saves V·C parameters, section 4). Logits "
        f"{my_logits.shape}; by hand against `lm.model.forward(ids)`: largest difference "
        f"{logits_gap:g}. Softmax makes each row a distribution (rows sum to "
        f"{format_number(my_probs.sum(axis=1).min(), 6)}).\n\n"
        "At every position that is a "
        f"{W['wte.weight'].shape[0]}-way classifier, the softmax classification of series "
        f"2, trained with the same cross-entropy. After “…{show_char(text[-12:])}” "
        f"(position {T - 1}) the five likeliest next characters: {_last}."
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ### The residual stream is a running sum

    Nothing in a block overwrites the stream: attention and the MLP each **add** a term
    (the skip connections of series 3's ResNets, lesson 8). So the final vector at a position is literally a sum, 3Blue1Brown's picture of the
    residual stream:

    $$x_{\text{final}} = \text{token} + \text{position} + \sum_{\ell=1}^{L}
    \big(\text{attn}_\ell + \text{MLP}_\ell\big).$$

    The table adds the terms one at a time for the **last** position, and after each one
    reads the partial sum out through `ln_f` and the LM head, as if the model stopped
    there:
    """)
    return


@app.cell(hide_code=True)
def _(W, format_number, layer_norm, mo, np, positions, show_char, terms, tokens, top_chars, x):
    _terms = dict(terms)
    _terms["token embedding"], _terms["position embedding"] = tokens, positions
    _running = np.zeros_like(tokens[-1])
    _rows = []
    for _name, _term in _terms.items():
        _running = _running + _term[-1]
        _read = layer_norm(_running, W["ln_f.weight"], W["ln_f.bias"]) @ W["wte.weight"].T
        _top = ", ".join(f"“{show_char(c)}” {format_number(p)}" for c, p in top_chars(_read))
        _rows.append(
            f"| + {_name} | {format_number(np.linalg.norm(_term[-1]))} | "
            f"{format_number(np.linalg.norm(_running))} | {_top} |"
        )
    _gap = np.abs(_running - x[-1]).max()
    mo.md(
        "| term added | its length | length of the sum | the sum read out: top 3 next |\n"
        "|:---|---:|---:|:---|\n"
        + "\n".join(_rows)
        + f"\n\nThe sum of the {len(_terms)} terms equals the stream the blocks produced "
        f"(largest difference {_gap:g}). Each block nudges the same vector; the prediction "
        "is read from wherever the sum ends up."
    )
    return


@app.cell(hide_code=True)
def _(cfg, lm, mo, model_name):
    _count = sum(w.size for w in lm.model.weights.values())
    mo.md(rf"""
    ## 4 · Counting the parameters

    Every parameter is an entry of one of the arrays above. This page's model,
    {model_name}, has
    {len(lm.model.weights)} arrays and {_count:,} numbers in them. Per block (with
    $C$ = {cfg.n_embd} here):

    | array | shape | parameters |
    |:---|:---|---:|
    | `attn.c_attn` ($W_Q, W_K, W_V$ fused) + bias | $(3C, C)$, $(3C,)$ | $3C^2 + 3C$ |
    | `attn.c_proj` ($W_O$) + bias | $(C, C)$, $(C,)$ | $C^2 + C$ |
    | `mlp.c_fc` + bias | $(4C, C)$, $(4C,)$ | $4C^2 + 4C$ |
    | `mlp.c_proj` + bias | $(C, 4C)$, $(C,)$ | $4C^2 + C$ |
    | `ln_1`, `ln_2` (scale and shift) | $(C,)$ × 4 | $4C$ |
    | **one block** | | $12C^2 + 13C$ |

    Outside the blocks: the token table $VC$, the position table $TC$, and `ln_f`'s $2C$.
    The LM head adds **nothing**: it is the token table. The number of heads $H$ appears
    nowhere: splitting $C$ into $H$ heads of $C/H$ changes no shape (lesson 7).

    $$P = VC + TC + L\,(12C^2 + 13C) + 2C$$
    """)
    return


@app.cell(hide_code=True)
def _(cfg, lm, mo, model_name, parameter_breakdown):
    _parts = parameter_breakdown(cfg)
    _count = sum(w.size for w in lm.model.weights.values())
    _V, _T, _L, _C = cfg.vocab_size, cfg.block_size, cfg.n_layer, cfg.n_embd
    mo.md(
        f"For {model_name}: {_V}·{_C} + {_T}·{_C} + {_L}·(12·{_C}² + 13·{_C}) + 2·{_C} = "
        f"**{sum(_parts.values()):,}**, and the arrays hold {_count:,}: "
        + ("equal." if sum(_parts.values()) == _count else "**not equal**.")
    )
    return


@app.cell(hide_code=True)
def _(gpt2_config, mo):
    _m = gpt2_config("gpt2-medium")
    mo.md(
        f"""
    **Exercise 2 · count GPT-2 medium by hand.** Its shape: V = {_m.vocab_size:,},
    T = {_m.block_size:,}, L = {_m.n_layer}, H = {_m.n_head}, C = {_m.n_embd:,}.
    Use the formula (with a pocket calculator or one line of Python; the page's own
    calculator opens once you have answered) and type the exact count.
    """
    )
    return


@app.cell
def _(mo):
    count_answer = mo.ui.number(value=None, step=1, label="GPT-2 medium's parameters =")
    count_answer
    return (count_answer,)


@app.cell(hide_code=True)
def _(check_parameter_count, count_answer, gpt2_config, mo):
    count_ok, _text = check_parameter_count(count_answer.value, gpt2_config("gpt2-medium"))
    mo.callout(
        mo.md(f"**Exercise 2.** {_text}"),
        kind="success" if count_ok else ("neutral" if count_answer.value is None else "warn"),
    )
    return (count_ok,)


@app.cell(hide_code=True)
def _(gpt2_config, mo, parameter_breakdown):
    _small = sum(parameter_breakdown(gpt2_config("gpt2")).values())
    mo.md(rf"""
    ### Where the parameters live

    Before the chart: in GPT-2 small ({_small / 1e6:.0f}M), which part holds the most
    parameters?
    """)
    return


@app.cell
def _(mo):
    share_prediction = mo.ui.radio(
        options=["the token embedding", "attention", "the MLPs"], label="your guess"
    )
    share_prediction
    return (share_prediction,)


@app.cell(hide_code=True)
def _(
    COMPONENTS,
    GPT2_SIZES,
    alt,
    cfg,
    count_answer,
    gpt2_config,
    lm,
    mo,
    model_name,
    parameter_breakdown,
    pd,
    share_prediction,
):
    mo.stop(share_prediction.value is None, mo.md("*Make a guess to see the chart.*"))
    _models = {name: gpt2_config(name) for name in GPT2_SIZES}
    _models[f"{model_name} (this page)"] = cfg
    _rows = []
    for _name, _config in _models.items():
        _parts = parameter_breakdown(_config)
        _total = sum(_parts.values())
        for _component in COMPONENTS:
            _rows.append(
                {
                    "model": _name,
                    "component": _component,
                    "parameters": _parts[_component],
                    "share": _parts[_component] / _total,
                }
            )
    shares = pd.DataFrame(_rows)
    _small = shares[shares["model"] == "gpt2"].set_index("component")["share"]
    _chart = (
        alt.Chart(shares)
        .mark_bar()
        .encode(
            y=alt.Y("model:N", sort=list(_models), title=None),
            x=alt.X(
                "share:Q",
                stack="normalize",
                title="share of the model's parameters",
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color("component:N", sort=list(COMPONENTS), title="component"),
            order=alt.Order("component_order:Q"),
            tooltip=[
                "model",
                "component",
                # exact counts only once exercise 2 is answered: they would sum to its answer
                *([] if count_answer.value is None else [alt.Tooltip("parameters:Q", format=",")]),
                alt.Tooltip("share:Q", format=".1%"),
            ],
        )
        .transform_calculate(component_order=f"indexof({list(COMPONENTS)}, datum.component)")
        .properties(height=170, width="container")
    )
    _mine = shares[shares.model == f"{model_name} (this page)"].set_index("component")["share"]
    _embedding_share = _mine["token embedding"] + _mine["position embedding"]
    _options = {"the token embedding": "token embedding", "attention": "attention"}
    _options["the MLPs"] = "MLP"
    _answer = max(_options, key=lambda option: _small[_options[option]])
    mo.vstack(
        [
            _chart,
            mo.md(
                (
                    "Right: "
                    if share_prediction.value == _answer
                    else f"Not {share_prediction.value}: "
                )
                + f"in GPT-2 small {_answer} hold the most: "
                + ", ".join(
                    f"{option.removeprefix('the ')} {_small[_options[option]]:.0%}"
                    for option in sorted(_options, key=lambda o: -_small[_options[o]])
                )
                + "."
                + " The MLPs' share grows with C (they cost 8C² per block, the embedding "
                f"only VC): {shares[(shares.model == 'gpt2-xl') & (shares.component == 'MLP')].share.iloc[0]:.0%} "
                f"in GPT-2 XL. With {lm.model.config.vocab_size} characters instead of "
                f"{gpt2_config('gpt2').vocab_size:,} tokens, {model_name} spends only "
                f"{_embedding_share:.1%} of its parameters on its two embeddings."
            ),
        ]
    )
    return (shares,)


@app.cell(hide_code=True)
def _(GPT2_PAPER_COUNTS, GPT2_SIZES, count_answer, gpt2_config, mo, parameter_breakdown):
    mo.stop(
        count_answer.value is None,
        mo.md("*Answer exercise 2 (any number will do) to see GPT-2's four sizes.*"),
    )
    _small = gpt2_config("gpt2")
    _lines = []
    for _name, (_L, _H, _C) in GPT2_SIZES.items():
        _total = sum(parameter_breakdown(gpt2_config(_name)).values())
        _lines.append(
            f"| {_name} | {_L} | {_H} | {_C:,} | **{_total:,}** | {GPT2_PAPER_COUNTS[_name] // 10**6:,}M |"
        )
    mo.md(
        "### GPT-2's four sizes, exactly\n\n"
        f"V = {_small.vocab_size:,} and T = {_small.block_size:,} for all four:\n\n"
        "| size | L | H | C | parameters (formula) | the paper says |\n"
        "|:---|---:|---:|---:|---:|---:|\n" + "\n".join(_lines) + "\n\n"
        "The formula's numbers are the checkpoints' (a test holds them equal to "
        "`core.model.config.count_parameters` and to the PyTorch model's own count). "
        "The paper (Radford et al. 2019, Table 2) gives smaller numbers, and OpenAI's "
        "`gpt-2` README says why only in general: *“our original parameter counts were "
        "wrong due to an error (in our previous blog posts and paper)”*."
    )
    return


@app.cell(hide_code=True)
def _(
    GPT1_VOCAB_SIZE,
    GPT2_PAPER_COUNTS,
    GPT2_SIZES,
    count_answer,
    gpt2_config,
    mo,
    paper_count_candidates,
):
    mo.stop(count_answer.value is None)
    _names = list(GPT2_SIZES)
    _explanations = list(paper_count_candidates("gpt2"))
    _lines = []
    for _explanation in _explanations:
        _cells = []
        for _name in _names:
            _m = round(paper_count_candidates(_name)[_explanation] / 1e6)
            _hit = _m * 10**6 == GPT2_PAPER_COUNTS[_name]
            _cells.append(f"**{_m:,}M ✓**" if _hit else f"{_m:,}M")
        _lines.append(f"| {_explanation} | " + " | ".join(_cells) + " |")
    _v2 = gpt2_config("gpt2").vocab_size
    _gpt1_small = paper_count_candidates("gpt2")[_explanations[-1]]
    _paper = " | ".join(f"{GPT2_PAPER_COUNTS[n] // 10**6:,}M" for n in _names)
    mo.md(
        "**Why the paper says 117M.** Which error? One explanation you will meet is that "
        "the paper left out the position embeddings. Each candidate, computed, rounded to "
        "millions as the paper rounds:\n\n"
        f"| counted … | {' | '.join(_names)} |\n|:---|" + "---:|" * len(_names) + "\n"
        f"| *the paper* | {_paper} |\n" + "\n".join(_lines) + "\n\n"
        "Leaving out the position embeddings does **not** give the paper's numbers, nor "
        "does an untied head. What does, for all four sizes, is GPT-2's architecture "
        f"counted with **GPT-1's vocabulary** of {GPT1_VOCAB_SIZE:,} tokens (Hugging Face's "
        f"`openai-gpt` config) instead of {_v2:,}: for GPT-2 small, {_gpt1_small:,} ≈ "
        f"{round(_gpt1_small / 1e6)}M, as if the count had been made before the vocabulary "
        "changed. That is **our arithmetic, not OpenAI's statement**: it fits all four "
        "numbers, but OpenAI has only said that there was an error, not what it was."
    )
    return


@app.cell
def _(GPT2_SIZES, count_answer, mo, model_name):
    mo.stop(count_answer.value is None)
    preset_dropdown = mo.ui.dropdown(
        options=[*GPT2_SIZES, f"{model_name} (this page)"], value="gpt2", label="start from"
    )
    mo.vstack(
        [
            mo.md(
                "### Your own GPT\n\nAny shape: pick a model to start from, then change "
                "the numbers."
            ),
            preset_dropdown,
        ]
    )
    return (preset_dropdown,)


@app.cell
def _(GPT2_SIZES, cfg, gpt2_config, mo, preset_dropdown):
    _base = gpt2_config(preset_dropdown.value) if preset_dropdown.value in GPT2_SIZES else cfg
    calc_inputs = mo.ui.dictionary(
        {
            "V": mo.ui.number(
                start=1, stop=1_000_000, step=1, value=_base.vocab_size, label="V (vocabulary)"
            ),
            "T": mo.ui.number(
                start=1, stop=1_000_000, step=1, value=_base.block_size, label="T (context)"
            ),
            "L": mo.ui.number(start=1, stop=1_000, step=1, value=_base.n_layer, label="L (blocks)"),
            "H": mo.ui.number(start=1, stop=1_000, step=1, value=_base.n_head, label="H (heads)"),
            "C": mo.ui.number(start=1, stop=100_000, step=1, value=_base.n_embd, label="C (width)"),
        }
    )
    mo.hstack(list(calc_inputs.elements.values()), justify="start", gap=1, wrap=True)
    return (calc_inputs,)


@app.cell(hide_code=True)
def _(COMPONENTS, Config, GPT2_SIZES, calc_inputs, gpt2_config, mo, parameter_breakdown):
    _v = calc_inputs.value

    def _percent(share):
        return f"{share:.1%}" if share >= 0.001 else f"{share:.3%}"

    _empty = [k for k in "VTLHC" if _v.get(k) is None]
    calc_parts = None
    if _empty:
        _out = mo.callout(mo.md(f"Fill in {', '.join(_empty)}: all five are needed."), kind="warn")
    else:
        try:
            calc_parts = parameter_breakdown(Config(*(int(_v[k]) for k in "VTLHC")))
        except ValueError as _error:
            _out = mo.callout(mo.md(f"That shape does not work: {_error}."), kind="warn")
    if calc_parts is not None:
        calc_total = sum(calc_parts.values())
        _same = [
            n for n in GPT2_SIZES if sum(parameter_breakdown(gpt2_config(n)).values()) == calc_total
        ]
        _rows = "\n".join(
            f"| {c} | {calc_parts[c]:,} | {_percent(calc_parts[c] / calc_total)} |"
            for c in COMPONENTS
        )
        _out = mo.md(
            "| component | parameters | share |\n|:---|---:|---:|\n"
            + _rows
            + f"\n| **total** | **{calc_total:,}** | |\n\n"
            + (f"Exactly {_same[0]}'s count. " if _same else "")
            + f"Change H: the total stays {calc_total:,}."
        )
    else:
        calc_total = None
    _out
    return calc_parts, calc_total


@app.cell(hide_code=True)
def _(T, mo):
    mo.md(r"""
    ## 5 · Why decoder-only won

    The original transformer (Vaswani et al. 2017) was an **encoder–decoder**, built for
    translation: an encoder reads the source sentence with attention in both directions,
    and a decoder writes the translation, masked like GPT, and also attends to the
    encoder's output through **cross-attention**. BERT (Devlin et al. 2019) kept only the
    encoder. GPT keeps only the decoder, without the cross-attention. Their masks, for a
    toy 5-token target and 4-token source:
    """)
    return


@app.cell(hide_code=True)
def _(causal_mask, mo, np):
    def _grid(allowed, rows, cols, title):
        _lines = [
            "| | " + " | ".join(cols) + " |",
            "|:---|" + ":---:|" * len(cols),
        ]
        for _r, _row in zip(rows, allowed):
            _lines.append(f"| **{_r}** | " + " | ".join("✓" if a else "·" for a in _row) + " |")
        return mo.vstack([mo.md(title), mo.md("\n".join(_lines))], gap=0)

    _t = [f"t{i}" for i in range(5)]
    _s = [f"s{i}" for i in range(4)]
    mo.hstack(
        [
            _grid(np.ones((5, 5), bool), _t, _t, "**encoder (BERT)**: all (5, 5)"),
            _grid(causal_mask(5), _t, _t, "**decoder (GPT)**: causal (5, 5)"),
            _grid(np.ones((5, 4), bool), _t, _s, "**cross-attention**: (5, 4)"),
        ],
        justify="start",
        gap=2,
    )
    return


@app.cell(hide_code=True)
def _(T, mo):
    mo.md(rf"""
    Cross-attention's queries come from one sequence and its keys from another, so its
    map is not square. Series 6 meets it again, where a diffusion model's U-Net reads a
    text prompt through it.

    Why did the decoder alone take over language models?

    - **One objective, on any text.** Next-token prediction needs no labels and no
      second sequence: any text is training data. And with the mask, one forward pass
      over your {T} characters trains {T - 1} predictions at once, one per position. BERT's
      objective hides 15% of the tokens and trains only those (Devlin et al. 2019): on
      {T} tokens, about {round(0.15 * T)} predictions per pass.
    - **It scales.** Loss fell as a smooth power law of parameters, data and compute
      over many orders of magnitude (Kaplan et al. 2020), so a bigger decoder was a
      predictable bet.
    - **In-context use.** The same model that continues text can be *prompted*: put a
      few examples or an instruction in the context, and the continuation does the task
      (Brown et al. 2020, GPT-3's few-shot results). No task head, no finetuning. This
      page's toy character model is far too small for that; it can only continue
      Shakespeare-like text.
    """)
    return


@app.cell(hide_code=True)
def _(GPT2_SIZES, gpt2_config, mo, parameter_breakdown):
    _counts = [sum(parameter_breakdown(gpt2_config(n)).values()) for n in GPT2_SIZES]
    mo.md(rf"""
    ## Recap

    - A GPT is embeddings (token + position) → $L$ blocks → `ln_f` → the LM head, which
      is the token table transposed; one call gives a next-token distribution at every
      position. You traced every stage on your own text, each equal to `core`'s.
    - The residual stream is a running sum: token + position + every block's attention
      and MLP terms.
    - The causal mask stops the answer from leaking into the question: changing a later
      token moves no earlier logit, and one open cell above the diagonal is a leak.
      It is about correctness, not speed.
    - $P = VC + TC + L(12C^2 + 13C) + 2C$ gives GPT-2 small's {_counts[0]:,}, and its
      three larger sizes, exactly; $H$ does not appear; the MLPs hold most of a large model.
    - Decoder-only won on one label-free objective, predictable scaling and prompting.

    Module 4.3 builds this model in PyTorch and trains it.
    """)
    return


@app.cell(hide_code=True)
def _(mo, next_lesson_markdown):
    mo.md(next_lesson_markdown(9, mo))
    return


if __name__ == "__main__":
    app.run()
