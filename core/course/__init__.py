"""Course plumbing, not the GPT stack. Torch-free.

catalog.py            the table of contents, lesson files and the links between lessons
embeddings.py         lesson 3's embedding lookup and its gradient (<-> nn.Embedding), and a
                      word embedding trained on the spot: neighbours, PCA
attention_lessons.py  lessons 4-6's toy sentences and features, matrix formatting, and
                      the checker of the learner's own attention function
ngram.py              lesson 1's counted n-gram models: counts, add-one, perplexity, sampling
"""
