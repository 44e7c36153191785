# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25.2",
#     "anywidget>=0.11",
#     "traitlets>=5.9",
#     "numpy>=1.26",
#     "altair>=5.4",
#     "pandas>=2.1",
#     "regex>=2024.4",
#     "tiktoken>=0.12",
#     "tqdm>=4.66",
# ]
# ///
"""Lesson 2 (module 4.1): tokenization.

Characters vs words vs subwords on the same text; byte-pair encoding derived by hand on
minbpe's "aaabdaaabac", then trained live on Tiny Shakespeare with the course's BPETokenizer;
GPT-2's own tokenizer rebuilt from its two files and checked against tiktoken; and what its
choices do to numbers, spaces, case, other languages, spelling and rare tokens.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="2 · Tokenization")


@app.cell(hide_code=True)
def _():
    import time

    import altair as alt
    import marimo as mo
    import pandas as pd

    from core.course.catalog import next_lesson_markdown, where_shown
    from core.course.tokenization import (
        LANGUAGE_EXAMPLES,
        MINBPE_TEXT,
        NUMBER_EXAMPLES,
        RARE_TOKEN_EXAMPLES,
        SPACE_CASE_EXAMPLES,
        SPELLING_EXAMPLES,
        TokenizerRow,
        WordVocabulary,
        chunk_table,
        compare_tokenizers,
        digit_range,
        digit_token_counts,
        heldout_split,
        load_gpt2,
        load_text,
        number_token_counts,
        pair_label,
        split_summary,
        tokens_after_merges,
    )
    from core.tokenize import GPT2_PATTERN, BPETokenizer
    from core.tokenize.bpe import pretokenize
    from widgets import BPEMergePlayer, TokenStrip

    return (
        BPEMergePlayer,
        BPETokenizer,
        GPT2_PATTERN,
        LANGUAGE_EXAMPLES,
        MINBPE_TEXT,
        NUMBER_EXAMPLES,
        RARE_TOKEN_EXAMPLES,
        SPACE_CASE_EXAMPLES,
        SPELLING_EXAMPLES,
        TokenStrip,
        TokenizerRow,
        WordVocabulary,
        alt,
        chunk_table,
        compare_tokenizers,
        digit_range,
        digit_token_counts,
        heldout_split,
        load_gpt2,
        load_text,
        mo,
        next_lesson_markdown,
        number_token_counts,
        pair_label,
        pd,
        pretokenize,
        split_summary,
        time,
        tokens_after_merges,
        where_shown,
    )


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Tokenization

    *Module 4.1 · Lesson 2 of 18*

    A language model predicts the next *token*, and a token is an integer: the model never
    sees letters. Before any of it can run, someone has to decide how text is cut into
    pieces and which piece gets which number. That decision is the tokenizer, and it is made
    once, before training, and then lived with: it fixes how long every text is, what the
    model can and cannot write, and some famous failures of real models.
    """)
    return


@app.cell(hide_code=True)
def _(heldout_split, load_text):
    shakespeare, shakespeare_missing = load_text("tinyshakespeare")
    if shakespeare is None:
        train_part = heldout_part = None
    else:
        # lesson 11's split: the first 90% to learn from, the last 10% held out
        train_part, heldout_part = heldout_split(shakespeare)
    return heldout_part, shakespeare, shakespeare_missing, train_part


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 1 · Three ways to cut the same text

    The obvious choices are **characters** and **words**. Give each the vocabulary of a
    piece of Tiny Shakespeare (every distinct character, or every distinct word), then use
    it on text it has not seen: the last 10% of the plays, held out the way series 1 held
    out validation data.
    """)
    return


@app.cell(hide_code=True)
def _(mo):
    slice_dropdown = mo.ui.dropdown(
        options={"50,000": 50_000, "100,000": 100_000, "300,000": 300_000},
        value="100,000",
        label="characters of Tiny Shakespeare to learn from",
    )
    return (slice_dropdown,)


@app.cell(hide_code=True)
def _(mo, shakespeare, shakespeare_missing, slice_dropdown, train_part):
    mo.stop(shakespeare is None, mo.callout(mo.md(shakespeare_missing), kind="warn"))
    train_slice = train_part[: slice_dropdown.value]
    slice_dropdown
    return (train_slice,)


@app.cell(hide_code=True)
def _(compare_tokenizers, heldout_part, mo, train_slice):
    baseline_rows = compare_tokenizers(train_slice, heldout_part)

    def comparison_table(rows):
        """Markdown table of TokenizerRows: vocabulary, lengths, unknown held-out units."""
        _lines = [
            "| cut into | vocabulary size | tokens for the slice | tokens for the held-out text "
            "| held-out units it cannot represent |",
            "|:---|---:|---:|---:|---:|",
        ]
        for _r in rows:
            _share = 100 * _r.heldout_unknown / max(_r.heldout_units, 1)
            _digits = 1 if _share == 0 or _share >= 0.1 else 3
            _lines.append(
                f"| {_r.name} | {_r.vocab_size:,} | {_r.train_tokens:,} | "
                f"{_r.heldout_tokens:,} | {_r.heldout_unknown:,} ({_share:.{_digits}f}%) |"
            )
        return mo.md("\n".join(_lines))

    comparison_table(baseline_rows)
    return baseline_rows, comparison_table


@app.cell(hide_code=True)
def _(baseline_rows, heldout_part, mo, slice_dropdown, train_slice):
    _chars, _words = baseline_rows
    _unseen = ", ".join(f"`{c!r}`" for c in sorted(set(heldout_part) - set(train_slice)))
    _unseen = f" ({_unseen}: never in the slice)" if _unseen else ""
    _word_share = 100 * _words.heldout_unknown / _words.heldout_units
    mo.md(
        f"""
    Characters make a tiny vocabulary ({_chars.vocab_size} symbols) and long sequences: one
    token per character, {_chars.train_tokens:,} of them for the slice. Words make sequences
    {_chars.train_tokens / _words.train_tokens:.1f}× shorter, but the vocabulary grows with
    every new word ({_words.vocab_size:,} from {slice_dropdown.value:,} characters, and real
    text never runs out of new words), and it still fails: **{_word_share:.1f}% of the
    held-out words were never seen**. Each becomes one `<unk>` ("unknown") token, and a
    model cannot read or write what hides behind it. Even the characters miss
    {_chars.heldout_unknown:,} held-out characters{_unseen}.
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    Type your own sentence. Every later section cuts this same text.
    """)
    return


@app.cell
def _(mo):
    text_input = mo.ui.text_area(
        value="Shakespearean actors rehearsed their lines.",
        max_length=400,
        rows=2,
        label="your text (up to 400 characters)",
        full_width=True,
    )
    text_input
    return (text_input,)


@app.cell(hide_code=True)
def _(mo, text_input):
    learner_text = text_input.value
    mo.stop(
        not learner_text.strip(),
        mo.callout(mo.md("Type some text above: there is nothing to cut."), kind="warn"),
    )
    return (learner_text,)


@app.cell(hide_code=True)
def _(WordVocabulary, learner_text, mo, train_slice):
    _vocab = WordVocabulary.from_text(train_slice)
    _words = _vocab.tokens(learner_text)
    _missing = _vocab.unknown(learner_text)
    _chars_missing = sorted({c for c in learner_text if c not in set(train_slice)})
    _shown = " · ".join(f"**`{w}`**" if w == "<unk>" else w for w in _words)
    mo.md(
        f"""
    - **words** ({len(_words)} tokens): {_shown}
      {f"— unknown: {', '.join(repr(w) for w in _missing)}" if _missing else "— every word is known."}
    - **characters** ({len(learner_text)} tokens)
      {f"— not in the character vocabulary: {', '.join(repr(c) for c in _chars_missing)}" if _chars_missing else "— every character is known."}
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    We want the middle: pieces longer than a character where text repeats itself (*the*,
    *ing*, *Citizen*), and a fallback that can spell *anything*, so that no text is ever
    unknown. **Byte-pair encoding** (BPE) does both. It starts from the 256 possible
    bytes of UTF-8 text (every text is bytes, so every text can be written) and *learns*
    longer pieces from data.

    ## 2 · BPE by hand: `aaabdaaabac`

    The algorithm, on minbpe's toy example: count every adjacent pair of tokens, merge the most
    frequent pair into a new token, repeat. Here it is written out (bytes 0–255 keep their
    ids; new tokens get 256, 257, …):
    """)
    return


@app.cell
def _(MINBPE_TEXT):
    def pair_counts(ids):
        """How often each adjacent pair occurs, overlaps included ('aaa' has (a, a) twice)."""
        counts = {}
        for pair in zip(ids, ids[1:]):  # noqa: RUF007 (pairwise, spelled out)
            counts[pair] = counts.get(pair, 0) + 1
        return counts

    def merge(ids, pair, new_id):
        """Replace every occurrence of `pair`, left to right, by `new_id`."""
        out, i = [], 0
        while i < len(ids):
            if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
                out.append(new_id)
                i += 2
            else:
                out.append(ids[i])
                i += 1
        return out

    def train_by_hand(text, n_merges):
        """The merges, and the ids after each, of `n_merges` steps of BPE on `text`."""
        ids = list(text.encode("utf-8"))
        steps, merges = [ids], []
        for new_id in range(256, 256 + n_merges):
            counts = pair_counts(ids)
            if not counts:  # a single token is left: nothing to merge
                break
            # the most frequent pair; ties to the smallest pair (core's tie-break)
            pair = max(counts, key=lambda p: (counts[p], -p[0], -p[1]))
            merges.append((pair, new_id, counts[pair]))
            ids = merge(ids, pair, new_id)
            steps.append(ids)
        return merges, steps

    hand_text = MINBPE_TEXT  # minbpe's example; try a text of your own
    hand_merges, hand_steps = train_by_hand(hand_text, 3)
    return hand_merges, hand_steps, hand_text, pair_counts


@app.cell(hide_code=True)
def _(mo, where_shown):
    _where = {
        "editor": "The cell above is the whole algorithm: read it, and "
        "try it on a text of your own by changing `hand_text` in its last lines.",
        "app": "This app hides code: open the lesson in the editor (`just edit`, or "
        "`marimo edit lessons/4-1-2-tokenization.py`) to read the few lines that did this.",
        "site": "This page hides code: the lesson's edit view (the link *Edit this lesson "
        "and do its exercises*) shows the few lines that did this, and runs your changes.",
    }[where_shown(mo)]
    mo.md(f"*{_where}*")
    return


@app.cell(hide_code=True)
def _(hand_merges, hand_steps, mo):
    mo.stop(
        len(hand_merges) < 3,
        mo.callout(mo.md("`hand_text` is too short for three merges: try a longer text."), "warn"),
    )
    _names = {256: "Z", 257: "Y", 258: "X"}

    def spell(ids):
        """Ids as letters, new tokens as Z, Y, X (minbpe's names)."""
        return "".join(_names.get(i, chr(i) if i < 256 else f"<{i}>") for i in ids)

    def merge_line(k):
        (_a, _b), _new, _count = hand_merges[k]
        return (
            f"| {k + 1} | {spell([_a])} {spell([_b])} → **{spell([_new])}** (id {_new}) "
            f"| {_count} | `{spell(hand_steps[k + 1])}` |"
        )

    mo.md(
        f"""
    | merge | pair → new token | count | text after it |
    |---:|:---|---:|:---|
    | 0 | (start: {len(hand_steps[0])} bytes) | | `{spell(hand_steps[0])}` |
    {merge_line(0)}
    {merge_line(1)}
    """
    )
    return merge_line, spell


@app.cell(hide_code=True)
def _(hand_steps, mo, spell):
    mo.md(
        f"""
    **Exercise 1.** Predict the next merge. The text is now `{spell(hand_steps[2])}`:
    which adjacent pair does BPE merge into X?
    """
    )
    return


@app.cell
def _(hand_steps, mo, pair_counts, spell):
    _pairs = sorted(pair_counts(hand_steps[2]), key=lambda p: spell(p))
    next_merge_radio = mo.ui.radio(
        options={f"{spell([a])} {spell([b])}": (a, b) for a, b in _pairs},
        value=None,
        label="the next merge",
        inline=True,
    )
    next_merge_radio
    return (next_merge_radio,)


@app.cell(hide_code=True)
def _(hand_merges, hand_steps, mo, next_merge_radio, pair_counts, spell):
    _counts = pair_counts(hand_steps[2])
    _right = hand_merges[2][0]

    def _pair(p):
        return f"{spell([p[0]])} {spell([p[1]])}"

    _pick = next_merge_radio.value
    _table = ", ".join(f"{_pair(p)} ×{c}" for p, c in sorted(_counts.items(), key=lambda x: -x[1]))
    if _pick is None:
        _kind, _text = "neutral", "Pick a pair above."
    elif _pick == _right:
        _kind, _text = (
            "success",
            f"Correct: {_pair(_right)} occurs {_counts[_right]} times, more than any other pair "
            f"({_table}). After it: `{spell(hand_steps[3])}`, "
            f"{len(hand_steps[3])} tokens for {len(hand_steps[0])} bytes.",
        )
    else:
        _kind, _text = (
            "warn",
            f"Not {_pair(_pick)}: it occurs {_counts[_pick]} time(s). BPE does not care "
            "whether a pair looks like a word; it counts. Count every adjacent pair of "
            f"`{spell(hand_steps[2])}` (Z and Y are single tokens now).",
        )
    mo.callout(mo.md(f"**Exercise 1.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(BPETokenizer, hand_merges, hand_steps, hand_text, merge_line, mo, next_merge_radio):
    mo.stop(
        next_merge_radio.value is None,
        mo.md("*The third merge and the check against core appear once you have predicted.*"),
    )
    toy_tokenizer = BPETokenizer.train(hand_text, 256 + 3, pattern=None)
    _core = [(m.pair, m.new_id, m.count) for m in toy_tokenizer.merges]
    _same = _core == hand_merges and toy_tokenizer.encode(hand_text) == hand_steps[3]
    mo.md(
        f"""
    | merge | pair → new token | count | text after it |
    |---:|:---|---:|:---|
    {merge_line(2)}

    **Checked against the course's tokenizer.** `BPETokenizer.train(text, 259,
    pattern=None)` learns the same three merges with the same counts, and encodes the text
    to {toy_tokenizer.encode(hand_text)}: {"the same ✓" if _same else "NOT the same ✗"}.
    From here on the lesson uses `core.tokenize.BPETokenizer` (its trainer keeps the pair
    counts up to date instead of recounting the whole text after every merge: the same
    merges, much faster).
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    Two details make real BPE work on real text:

    - **Pre-tokenizing.** The text is first split into chunks (GPT-2's rule: words with
      their leading space, runs of digits, runs of punctuation, whitespace) and merges
      never cross a chunk. Without it, BPE would learn *"dog."*, *"dog!"* and *"dog?"*
      as separate tokens.
    - **Ties.** When two pairs are equally frequent, some rule must choose; the course's
      takes the smaller pair of ids. Another rule gives another, equally valid tokenizer.

    ## 3 · BPE on Shakespeare, live

    The course's `BPETokenizer` learns merges from the slice you chose above. The slider
    sets how many of them to keep: each merge adds one token to the vocabulary.
    """)
    return


@app.cell(hide_code=True)
def _(mo):
    merges_slider = mo.ui.slider(
        0, 768, step=32, value=256, label="merges kept", show_value=True, debounce=True
    )
    return (merges_slider,)


@app.cell(hide_code=True)
def _(mo, slice_dropdown):
    train_button = mo.ui.run_button(
        label=f"Learn 768 merges from {slice_dropdown.value:,} characters"
    )
    return (train_button,)


@app.cell(hide_code=True)
def _(BPETokenizer, mo, time, train_button, train_slice):
    # the default slice trains on open (about 1.5 s in a browser); larger ones wait for a click
    mo.stop(
        len(train_slice) > 100_000 and not train_button.value,
        mo.hstack(
            [train_button, mo.md("*(pure Python: a few seconds in a browser for this slice)*")],
            justify="start",
        ),
    )
    _start = time.perf_counter()
    with mo.status.progress_bar(total=768, title="Learning BPE merges") as _bar:

        def _progress(done, total):
            if done % 64 == 0:  # a redraw per merge would cost more than the merge
                _bar.update(increment=64)

        shakespeare_bpe = BPETokenizer.train(train_slice, 256 + 768, progress=_progress)
    training_seconds = time.perf_counter() - _start
    return shakespeare_bpe, training_seconds


@app.cell(hide_code=True)
def _(merges_slider, mo, shakespeare_bpe, slice_dropdown, training_seconds):
    mo.vstack(
        [
            mo.md(
                f"Learned {len(shakespeare_bpe.merges)} merges from {slice_dropdown.value:,} "
                f"characters in {training_seconds:.2f} s, on this page."
            ),
            merges_slider,
        ]
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    Replay the merges on the first lines of the plays: step through them one at a time, or
    press play. Each merge joins two neighbouring tokens wherever they stand side by side.
    """)
    return


@app.cell
def _(BPEMergePlayer, mo):
    merge_player = mo.ui.anywidget(
        BPEMergePlayer.from_text(["ab"], [((b"a", b"b"), 256, 1)])  # data arrives below
    )
    return (merge_player,)


@app.cell(hide_code=True)
def _(merge_player, shakespeare_bpe):
    _ = shakespeare_bpe  # shown once there are merges to play
    merge_player
    return


@app.cell(hide_code=True)
def _(GPT2_PATTERN, merge_player, merges_slider, pretokenize, shakespeare_bpe, train_slice):
    _sample = train_slice[:160]
    _chunks = pretokenize(_sample, GPT2_PATTERN)
    _starts, _tokens = [], []
    for _c in _chunks:
        _starts.append(len(_tokens))
        _tokens.extend(bytes([b]) for b in _c.encode("utf-8"))
    _kept = shakespeare_bpe.merges[: max(merges_slider.value, 1)]
    merge_player.update(
        initial_tokens=_tokens, chunk_starts=_starts[1:], merges=_kept, step=min(8, len(_kept))
    )
    return


@app.cell(hide_code=True)
def _(pair_label, shakespeare_bpe):
    def merge_name(m):
        """A merge as 'left + right' with visible spaces."""
        return pair_label(
            (shakespeare_bpe.token_bytes(m.pair[0]), shakespeare_bpe.token_bytes(m.pair[1]))
        )

    return (merge_name,)


@app.cell(hide_code=True)
def _(merge_name, mo, shakespeare_bpe):
    _first = shakespeare_bpe.merges
    _words = [
        (k, shakespeare_bpe.token_str(m.new_id))
        for k, m in enumerate(_first)
        if len(shakespeare_bpe.token_bytes(m.new_id)) >= 5
    ][:6]
    _the = next(
        (k for k, m in enumerate(_first) if shakespeare_bpe.token_bytes(m.new_id) == b" the"),
        None,
    )
    _the_line = "" if _the is None else f" By merge {_the + 1}, *␣the* is a single token."
    mo.md(
        f"""
    The first merge joins **{merge_name(_first[0])}** ({_first[0].count:,} times in the
    slice), the second **{merge_name(_first[1])}**.{_the_line} Common words become single
    tokens early; the first tokens of 5 or more bytes are
    {", ".join(f"`{w!r}` (merge {k + 1})" for k, w in _words)}.
    """
    )
    return


@app.cell(hide_code=True)
def _(chunk_table, heldout_part, train_slice):
    slice_chunks = chunk_table(train_slice)
    heldout_chunks = chunk_table(heldout_part)
    return heldout_chunks, slice_chunks


@app.cell(hide_code=True)
def _(heldout_chunks, shakespeare_bpe, slice_chunks, tokens_after_merges):
    merge_steps = [0, 32, 64, 128, 256, 384, 512, 640, 768]
    slice_lengths = tokens_after_merges(slice_chunks, shakespeare_bpe, merge_steps)
    heldout_lengths = tokens_after_merges(heldout_chunks, shakespeare_bpe, merge_steps)
    return heldout_lengths, merge_steps, slice_lengths


@app.cell(hide_code=True)
def _(
    alt,
    heldout_lengths,
    heldout_part,
    merge_steps,
    merges_slider,
    pd,
    slice_lengths,
    train_slice,
):
    _k = merges_slider.value
    _rows = [
        {
            "vocabulary size": 256 + k,
            "text": _label,
            "tokens per 100 characters": 100 * _lengths[k] / _n,
        }
        for _label, _lengths, _n in (
            ("the slice BPE learned from", slice_lengths, len(train_slice)),
            ("held-out text", heldout_lengths, len(heldout_part)),
        )
        for k in merge_steps
    ]
    _x = alt.X("vocabulary size:Q", title="vocabulary size (256 bytes + merges)")
    _y = alt.Y("tokens per 100 characters:Q", title="tokens per 100 characters")
    _lines = (
        alt.Chart(pd.DataFrame(_rows))
        .mark_line(point=True)
        .encode(x=_x, y=_y, color=alt.Color("text:N", title=None))
    )
    _rule = (
        alt.Chart(pd.DataFrame({"vocabulary size": [256 + _k]}))
        .mark_rule(color="#888888", strokeDash=[4, 3])
        .encode(x="vocabulary size:Q")
    )
    compression_chart = (_lines + _rule).properties(
        width=460, height=220, title="Larger vocabulary, shorter sequences (measured)"
    )
    return (compression_chart,)


@app.cell(hide_code=True)
def _(
    TokenizerRow,
    baseline_rows,
    comparison_table,
    compression_chart,
    heldout_chunks,
    heldout_part,
    merges_slider,
    mo,
    shakespeare_bpe,
    slice_chunks,
    tokens_after_merges,
):
    _k = merges_slider.value
    bpe_row = TokenizerRow(
        f"BPE, {_k} merges",
        256 + _k,
        tokens_after_merges(slice_chunks, shakespeare_bpe, [_k])[_k],
        tokens_after_merges(heldout_chunks, shakespeare_bpe, [_k])[_k],
        0,
        len(heldout_part.encode("utf-8")),
    )
    mo.vstack([compression_chart, comparison_table([*baseline_rows, bpe_row])])
    return (bpe_row,)


@app.cell(hide_code=True)
def _(baseline_rows, bpe_row, heldout_part, mo):
    _chars, _words = baseline_rows
    _context = 1024  # GPT-2's context length, in tokens

    def _fits(tokens):
        """Characters of held-out text that fit in one context, at this tokenizer's rate."""
        return f"{_context * len(heldout_part) / tokens:,.0f}"

    mo.md(
        f"""
    With {bpe_row.vocab_size:,} tokens, BPE writes the held-out text in
    {bpe_row.heldout_tokens:,} tokens: {_chars.heldout_tokens / bpe_row.heldout_tokens:.2f}×
    shorter than characters, {bpe_row.heldout_tokens / _words.heldout_tokens:.2f}× as long as
    words, with **nothing unknown**: a word it never saw is spelled from smaller pieces, down
    to single bytes if need be.

    Length matters because a model reads a fixed number of tokens at once, its context
    (GPT-2's is {_context:,}). Into {_context:,} tokens go about {_fits(_chars.heldout_tokens)}
    characters of the held-out plays as characters, {_fits(bpe_row.heldout_tokens)} with this
    BPE. And attention (lesson 4) does work for every pair of tokens, so its cost grows with
    the square of the length. A larger vocabulary buys shorter sequences; the model pays for
    it with a bigger embedding table and output layer (one row per token, lesson 3). Note
    the gap between the two lines: merges fit the text they were learned from a little
    better than new text.
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    Your text, cut by the BPE you just trained (hover a token for its id):
    """)
    return


@app.cell
def _(TokenStrip, mo):
    shakespeare_strip = mo.ui.anywidget(TokenStrip(tokens=["…"]))  # tokens arrive below
    return (shakespeare_strip,)


@app.cell(hide_code=True)
def _(shakespeare_bpe, shakespeare_strip):
    _ = shakespeare_bpe  # shown once there is a tokenizer
    shakespeare_strip
    return


@app.cell(hide_code=True)
def _(learner_text, merges_slider, mo, shakespeare_bpe, shakespeare_strip):
    _ids = shakespeare_bpe.encode_with_merges(learner_text, merges_slider.value)
    shakespeare_strip.update(
        tokens=[shakespeare_bpe.token_bytes(i) for i in _ids], ids=_ids, selected=None
    )
    mo.md(
        f"{len(_ids)} tokens for {len(learner_text)} characters "
        f"({len(learner_text.encode('utf-8'))} bytes), with {merges_slider.value} merges."
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 4 · GPT-2's tokenizer, rebuilt from its two files

    GPT-2 (Radford et al., OpenAI, 2019) uses exactly this algorithm, with far more merges,
    learned for its own training text (WebText, web pages linked from Reddit). OpenAI published them as two files: `vocab.bpe` lists the merges in
    order, `encoder.json` gives every token its id. The course's `BPETokenizer` reads both;
    tiktoken, OpenAI's own tokenizer library (compiled Rust, in this page too), builds its
    `gpt2` encoding from the same two files. The two are checked against each other on your
    text, live.
    """)
    return


@app.cell(hide_code=True)
def _(load_gpt2, mo):
    with mo.status.spinner(title="Reading GPT-2's vocab.bpe and encoder.json"):
        gpt2, gpt2_tiktoken, gpt2_missing = load_gpt2()
    return gpt2, gpt2_missing, gpt2_tiktoken


@app.cell(hide_code=True)
def _(gpt2, gpt2_missing, mo, pair_label):
    mo.stop(gpt2 is None, mo.callout(mo.md(gpt2_missing), kind="warn"))

    def gpt2_tokens(text):
        """[(token text, id)] of `text` under GPT-2's tokenizer."""
        return [(gpt2.token_str(i), i) for i in gpt2.encode_ordinary(text)]

    def shown(text):
        """The tokens of `text` as inline code, with spaces visible."""
        return " · ".join(f"`{t.replace(' ', '␣')}`" for t, _ in gpt2_tokens(text))

    _first = [gpt2.merges[k] for k in range(5)]

    def _name(m):
        return pair_label((gpt2.token_bytes(m.pair[0]), gpt2.token_bytes(m.pair[1])))

    mo.md(
        f"GPT-2's vocabulary: {gpt2.vocab_size:,} tokens = 256 bytes + "
        f"{len(gpt2.merges):,} merges + 1 special token (`<|endoftext|>`). Its first merges: "
        + ", ".join(f"**{_name(m)}**" for m in _first)
        + "."
    )
    return gpt2_tokens, shown


@app.cell
def _(TokenStrip, mo):
    gpt2_strip = mo.ui.anywidget(TokenStrip(tokens=["…"]))  # tokens arrive below
    return (gpt2_strip,)


@app.cell(hide_code=True)
def _(gpt2_strip, gpt2_tokens, mo):
    _ = gpt2_tokens  # shown once GPT-2's tokenizer is here
    mo.vstack(
        [mo.md("Your text, cut by GPT-2's tokenizer (hover a token for its id):"), gpt2_strip]
    )
    return


@app.cell(hide_code=True)
def _(gpt2, gpt2_strip, gpt2_tiktoken, learner_text, mo):
    mo.stop(gpt2 is None)
    _ours = gpt2.encode_ordinary(learner_text)
    _theirs = gpt2_tiktoken.encode_ordinary(learner_text)
    gpt2_strip.update(tokens=[gpt2.token_bytes(i) for i in _ours], ids=_ours, selected=None)
    mo.md(
        f"""
    **{len(_ours)}** GPT-2 tokens for your {len(learner_text)} characters. Their ids:

    - the course's `BPETokenizer`: {_ours}
    - tiktoken's `gpt2`: {_theirs}
    - {"**the same ids ✓**" if _ours == _theirs else "**they differ ✗** (please report it)"}
    """
    )
    return


@app.cell(hide_code=True)
def _(bpe_row, gpt2, gpt2_tokens, heldout_part, mo):
    _ = gpt2_tokens  # only once GPT-2's tokenizer is here
    _n = len(gpt2.encode_ordinary(heldout_part))
    mo.md(
        f"""
    On the held-out plays, GPT-2's {gpt2.vocab_size:,} tokens (learned from web pages, not
    from Shakespeare) need **{_n:,}** tokens, {100 * _n / len(heldout_part):.1f} per 100
    characters, against {bpe_row.heldout_tokens:,}
    ({100 * bpe_row.heldout_tokens / len(heldout_part):.1f} per 100) for your
    {bpe_row.vocab_size:,}-token BPE trained on the plays themselves.
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 5 · How token choices change what a model can do

    A model sees only the ids, so everything the tokenizer does is baked into the model's
    view of text. All the tokenizations below are measured in this page with GPT-2's
    tokenizer; the behaviour they cause in models is reported by others and cited. This
    lesson runs no model.

    ### Numbers

    **Exercise 2.** Before the table appears: into how many GPT-2 tokens does `12345`
    split?
    """)
    return


@app.cell
def _(mo):
    number_count = mo.ui.number(value=None, step=1, label="tokens in 12345:")
    return (number_count,)


@app.cell(hide_code=True)
def _(gpt2_tokens, number_count):
    _ = gpt2_tokens  # asked only where it can be answered
    number_count
    return


@app.cell(hide_code=True)
def _(gpt2_tokens, mo, number_count, shown):
    _truth = len(gpt2_tokens("12345"))
    _guess = number_count.value
    if _guess is None:
        _kind, _text = "neutral", "Type a count above."
    elif _guess == _truth:
        _kind, _text = "success", f"Correct: {_truth} tokens, {shown('12345')}."
    elif _guess == 5:
        _kind, _text = (
            "warn",
            "Not 5: GPT-2 has no rule of one token per digit. Its merges were learned from "
            "web text, where many digit groups are common.",
        )
    elif _guess == 1:
        _kind, _text = (
            "warn",
            "Not 1: a whole number is a token only when it was frequent in GPT-2's training "
            "text (years, small numbers); 12345 was not.",
        )
    elif _guess < 1:
        _kind, _text = "warn", f"Not {_guess}: any text of 5 characters is at least 1 token."
    else:
        _kind, _text = (
            "warn",
            f"Not {_guess}: {'fewer' if _guess > _truth else 'more'} than that. GPT-2 has "
            "tokens for many digit groups; try the longest group you would expect to be common.",
        )
    mo.callout(mo.md(f"**Exercise 2.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(
    NUMBER_EXAMPLES,
    digit_range,
    digit_token_counts,
    gpt2,
    gpt2_tokens,
    mo,
    number_count,
    shown,
    split_summary,
):
    mo.stop(number_count.value is None)
    _rows = "\n    ".join(  # rows indented like the template below (mo.md dedents)
        f"| `{t}` | {len(gpt2_tokens(t))} | {shown(t)} |" for t in NUMBER_EXAMPLES
    )
    _dist = {d: digit_token_counts(gpt2, d) for d in (3, 4)}

    def _spread(d):
        return split_summary(_dist[d])

    mo.md(
        f"""
    | number | tokens | pieces |
    |:---|---:|:---|
    {_rows}

    The pieces depend on the number: `1234` is {shown("1234")} but `12345` is
    {shown("12345")}, so the same digit lands in a different token, and the same token
    stands for different places of the number. Measured over every number of a given
    length, encoded on its own:

    - 3 digits ({len(digit_range(3)):,} numbers): {_spread(3)};
    - 4 digits ({len(digit_range(4)):,}): {_spread(4)}.

    """
    )
    return


@app.cell(hide_code=True)
def _(digit_range, mo, number_count):
    mo.stop(number_count.value is None)
    five_digit_button = mo.ui.run_button(
        label=f"Measure all {len(digit_range(5)):,} five-digit numbers"
    )
    mo.hstack(
        [five_digit_button, mo.md("*(pure Python: several seconds in a browser)*")],
        justify="start",
    )
    return (five_digit_button,)


@app.cell(hide_code=True)
def _(digit_range, five_digit_button, gpt2, mo, number_token_counts, split_summary, time):
    mo.stop(not five_digit_button.value)
    _started = time.perf_counter()
    _numbers = digit_range(5)
    _step = 10_000
    _counts = {}
    for _start in mo.status.progress_bar(
        range(_numbers.start, _numbers.stop, _step), title="Encoding five-digit numbers"
    ):
        for _k, _n in number_token_counts(gpt2, range(_start, _start + _step)).items():
            _counts[_k] = _counts.get(_k, 0) + _n
    mo.md(
        f"- 5 digits ({len(_numbers):,}): {split_summary(_counts)}, "
        f"measured in {time.perf_counter() - _started:.1f} s."
    )
    return


@app.cell(hide_code=True)
def _(mo, number_count):
    mo.stop(number_count.value is None)
    mo.md(r"""
    A model adding such numbers has to line up digits that sit at different places inside
    different tokens from one number to the next. Singh & Strouse (2024, *Tokenization
    counts: the impact of tokenization on arithmetic in frontier LLMs*) study GPT-3.5 and
    GPT-4, whose tokenizer cuts a run of digits into pieces of up to three digits from the
    left; they report much better addition when commas make the pieces form from the right
    instead (12,345 gives 12 · 345, aligned with thousands). Other models, LLaMA and PaLM
    among them, split numbers into single digits.
    """)
    return


@app.cell(hide_code=True)
def _(SPACE_CASE_EXAMPLES, gpt2_tokens, mo, shown):
    _rows = "\n    ".join(  # indented like the template (mo.md dedents)
        f"| `{t.replace(' ', '␣')}` | {len(gpt2_tokens(t))} | {shown(t)} | "
        f"{', '.join(str(i) for _, i in gpt2_tokens(t))} |"
        for t in SPACE_CASE_EXAMPLES
    )
    mo.md(
        f"""
    ### Leading spaces and capital letters

    | text | tokens | pieces | ids |
    |:---|---:|:---|:---|
    {_rows}

    To the model, *hello*, *␣hello* and *Hello* are unrelated ids: GPT-2's pre-tokenizer
    keeps a word's leading space inside its token, so the same word has one token mid-sentence
    and another at the start of a line, and capitals give yet others. Whatever the model knows
    about one it must learn again for the others (their embeddings start unrelated). Shouting
    is worse: upper-case words are rarer in web text, so few of them became tokens and they
    split into pieces.
    """
    )
    return


@app.cell(hide_code=True)
def _(LANGUAGE_EXAMPLES, gpt2_tokens, mo):
    _english = len(gpt2_tokens(LANGUAGE_EXAMPLES["English"]))
    _rows = []
    for _lang, _text in LANGUAGE_EXAMPLES.items():
        _n = len(gpt2_tokens(_text))
        _rows.append(
            f"| {_lang} | {_text} | {len(_text)} | {len(_text.encode('utf-8'))} | {_n} | "
            f"{_n / len(_text):.2f} | {_n / _english:.1f}× |"
        )
    _table = "\n    ".join(_rows)  # indented like the template (mo.md dedents)
    _worst = max(LANGUAGE_EXAMPLES, key=lambda k: len(gpt2_tokens(LANGUAGE_EXAMPLES[k])))
    mo.md(
        f"""
    ### Other languages cost more

    The same sentence in ten languages (the translations are ours):

    | language | text | characters | UTF-8 bytes | GPT-2 tokens | tokens per character | tokens vs English |
    |:---|:---|---:|---:|---:|---:|---:|
    {_table}

    GPT-2's merges were learned for WebText, which its authors describe as English web pages
    (they filtered other languages out), so English words became whole tokens while other
    scripts are left close to their bytes ({_worst} needs
    {len(gpt2_tokens(LANGUAGE_EXAMPLES[_worst])) / _english:.1f}× the tokens of English
    here). One sentence is an example, not a measurement of a language: Petrov et al.
    (2023, *Language Model Tokenizers Introduce Unfairness Between Languages*) measure 2,000
    parallel sentences (FLORES-200) with many tokenizers and find some languages need more
    than 15 times the tokens of English. More tokens means a shorter effective context,
    slower and costlier generation and, per token, less meaning.
    """
    )
    return


@app.cell(hide_code=True)
def _(SPELLING_EXAMPLES, gpt2_tokens, mo, shown):
    _rows = "\n    ".join(  # indented like the template (mo.md dedents)
        f"| `{t.replace(' ', '␣')}` | {len(gpt2_tokens(t))} | {shown(t)} | "
        f"{', '.join(str(i) for _, i in gpt2_tokens(t))} |"
        for t in SPELLING_EXAMPLES
    )
    _id = gpt2_tokens(" strawberry")[0][1]
    mo.md(
        f"""
    ### Spelling and counting letters

    | text | tokens | pieces | ids |
    |:---|---:|:---|:---|
    {_rows}

    How many *r*s are in *strawberry*? Mid-sentence, the model receives the one id {_id}.
    The letters are not in its input at all: whatever it knows about them it must have
    learned indirectly, from training text that happens to link this id to its spelling. Karpathy's lecture *Let's build the GPT Tokenizer* (2024) traces
    this weakness at spelling, reversing and counting letters, among others, to tokenization.
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ### Tokens the model hardly saw

    **Exercise 3.** Before the table appears: into how many GPT-2 tokens does
    ` SolidGoldMagikarp` (with its leading space) split?
    """)
    return


@app.cell
def _(mo):
    rare_count = mo.ui.number(value=None, step=1, label="tokens in ␣SolidGoldMagikarp:")
    return (rare_count,)


@app.cell(hide_code=True)
def _(gpt2_tokens, rare_count):
    _ = gpt2_tokens  # asked only where it can be answered
    rare_count
    return


@app.cell(hide_code=True)
def _(gpt2_tokens, mo, rare_count):
    _truth = len(gpt2_tokens(" SolidGoldMagikarp"))
    _guess = rare_count.value
    if _guess is None:
        _kind, _text = "neutral", "Type a count above."
    elif _guess == _truth:
        _kind, _text = (
            "success",
            f"Correct, and strange: {_truth} token, id {gpt2_tokens(' SolidGoldMagikarp')[0][1]}. "
            "A made-up name is a single token, while *Magikarp* alone takes "
            f"{len(gpt2_tokens(' Magikarp'))} and the dictionary word *onomatopoeia* "
            f"{len(gpt2_tokens(' onomatopoeia'))}.",
        )
    elif _guess < 1:
        _kind, _text = "warn", f"Not {_guess}: every text of at least one byte is 1 token or more."
    else:
        _kind, _text = (
            "warn",
            f"Not {_guess}: fewer. The likely reasoning, 'a rare made-up word splits into many "
            "pieces', is right for most rare words. BPE merges what was frequent *in the text "
            "the tokenizer learned from*; ask what that text might have been full of.",
        )
    mo.callout(mo.md(f"**Exercise 3.** {_text}"), kind=_kind)
    return


@app.cell(hide_code=True)
def _(RARE_TOKEN_EXAMPLES, gpt2, gpt2_tokens, mo, rare_count):
    mo.stop(rare_count.value is None)
    _rows = []
    for _t in RARE_TOKEN_EXAMPLES:
        _tokens = gpt2_tokens(_t)
        _rank = _tokens[0][1] - 256 if len(_tokens) == 1 else None
        _rows.append(
            f"| `{_t.replace(' ', '␣')}` | {len(_tokens)} | "
            + (
                f"{_tokens[0][1]} | merge {_rank + 1:,} of {len(gpt2.merges):,} |"
                if _rank is not None
                else "– | – |"
            )
        )
    _table = "\n    ".join(_rows)  # indented like the template (mo.md dedents)
    mo.md(
        f"""
    | text | GPT-2 tokens | id | learned as |
    |:---|---:|---:|:---|
    {_table}

    Each of these strings is one token of GPT-2's vocabulary (and of GPT-3's, which shares
    it); the last column says which merge made it. Rumbelow & Watkins (2023, *SolidGoldMagikarp
    (plus, prompt generation)*) found them: asked to repeat them, GPT-3 models answered with
    evasions, insults or different words; in GPT-2 small and GPT-J, whose embeddings are
    public, these tokens sat among the closest to the centre of all {gpt2.vocab_size:,}. Their follow-up
    posts trace the strings to text the tokenizer was built from (*SolidGoldMagikarp* and
    *TheNitromeFan* are usernames from a Reddit forum where people count upwards, one post
    at a time), while the model's training text hardly contains them. The tokenizer and the
    model are trained separately: a token can exist that the model barely learned.
    """
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## Recap

    - Characters: a tiny vocabulary, long sequences. Words: shorter sequences, a vocabulary
      that never stops growing, and `<unk>` for every word not seen before.
    - BPE starts from the 256 bytes (so any text can be written) and merges the most
      frequent adjacent pair, again and again; each merge is one more token. You followed it
      by hand on `aaabdaaabac` (predicting its third merge), checked it against the course's
      `BPETokenizer`, and trained it on Shakespeare in this page.
    - The number of merges trades vocabulary size against sequence length.
    - GPT-2's tokenizer is the same algorithm with far more merges, rebuilt here from its
      two files and equal to tiktoken.
    - Its choices shape what a model sees: numbers cut unevenly, a word with and without a
      space or a capital as unrelated ids, other languages costing several times more
      tokens on our example sentence, letters hidden inside tokens, and tokens the model
      hardly saw in training.

    The model now receives a sequence of ids. Lesson 3 turns each id into a vector the
    model can compute with, and tells it where in the sequence each one stands.
    """)
    return


@app.cell(hide_code=True)
def _(mo, next_lesson_markdown):
    mo.md(next_lesson_markdown(2, mo))
    return


if __name__ == "__main__":
    app.run()
