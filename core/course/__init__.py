"""Course plumbing, not the GPT stack: what the browser lessons need beside the mirrors.
Torch-free.

catalog.py            the table of contents, lesson files and the links between lessons
ngram.py              lesson 1's counted n-gram models: counts, add-one, perplexity, sampling
tokenization.py       lesson 2's example texts, the word baseline, tokenizer comparisons,
                      digit splits, and data loaders that answer with a message, not a traceback
embeddings.py         lesson 3's embedding lookup and its gradient (<-> nn.Embedding), and a
                      word embedding trained on the spot: neighbours, PCA
attention_lessons.py  lessons 4-6's toy sentences and features, matrix formatting, and
                      the checker of the learner's own attention function
qk_training.py        lesson 5's M = W_Q W_Kᵀ, slot remixing, and W_Q/W_K trained by hand-written
                      gradient descent (<-> torch autograd)
heads.py              lesson 7's toy widened to C = 4, its exercise checks, head scores
                      (previous-token, induction), attention cost per head count
lesson_model.py       the trained Shakespeare model lessons 7 and 9 load (the .npz made by
                      core.train.lesson_model), or a random one of the same shape, said plainly
gpt_lesson.py         lesson 9's parameter breakdown (<-> count_parameters, torch's GPT), the
                      leak detector, the masked forward, exercise checks
"""
