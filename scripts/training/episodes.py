"""Synthetic key-information retrieval episodes (the paper's multi-needle test, REFERENCE.md section 4).

An episode is a haystack of natural text (corpus documents) with N needles "The magic number of <Name> is <NNNN>."
inserted at sentence boundaries, followed by R questions, each answered:
    " What is the magic number of <Name>? The magic number of <Name> is <NNNN>."
Shared by the training script (train_pair.py: names_train, corpus_train) and the held-out evaluation set
(make_eval_set.py: names_eval, corpus_eval), so both use exactly one format. Pure Python, deterministic per rng.
"""
import random


def needle_sentence(name, number):
    return f"The magic number of {name} is {number}."


def question_prefix(name):
    return f" What is the magic number of {name}? The magic number of {name} is"


def make_episode(rng: random.Random, docs, names, n_needles, n_queries, haystack_chars, depth=None):
    """Returns a dict with the text and byte offsets (UTF-8) of what the evaluation needs.

    depth: where the first queried needle goes, as a fraction of the haystack (None: random). Other needles are
    placed at random depths.
    """
    # Haystack: whole documents until the length is reached, then cut at a sentence end when possible.
    pieces, size = [], 0
    while size < haystack_chars:
        d = docs[rng.randrange(len(docs))].replace(" \\n ", " ")
        pieces.append(d)
        size += len(d) + 1
    haystack = " ".join(pieces)[:haystack_chars]
    cut = haystack.rfind(". ")
    if cut > haystack_chars // 2:
        haystack = haystack[: cut + 1]
    # Sentence boundaries where a needle may go (after ". " or at the very start / end).
    bounds = [0] + [i + 2 for i in range(len(haystack) - 1) if haystack[i] == "." and haystack[i + 1] == " "]
    bounds.append(len(haystack) + 1)
    chosen = rng.sample(names, n_needles)
    numbers = rng.sample(range(1000, 10000), n_needles)
    queried = list(range(n_queries))  # the first R needles are asked about, in a random order
    rng.shuffle(queried)

    def boundary_at(fraction):
        target = fraction * len(haystack)
        return min(bounds, key=lambda b: abs(b - target))

    positions = [boundary_at(depth if (depth is not None and k == queried[0]) else rng.random())
                 for k in range(n_needles)]
    # Insert from the back so earlier offsets stay valid; remember where each needle's number lands.
    text = haystack
    inserted = sorted(range(n_needles), key=lambda k: positions[k], reverse=True)
    for k in inserted:
        p = min(positions[k], len(text))
        sentence = needle_sentence(chosen[k], numbers[k])
        sep_before = "" if p == 0 or text[p - 1] == " " else " "
        sep_after = "" if p >= len(text) else " "
        text = text[:p] + sep_before + sentence + sep_after + text[p:]
    context_end = len(text)
    queries = []
    for k in queried:
        text += question_prefix(chosen[k])
        answer = f" {numbers[k]}"
        start = len(text)
        text += answer + "."
        queries.append({"name": chosen[k], "answer": answer, "answer_chars": [start, start + len(answer)]})
    # Needle number positions (character offsets), found in the final text.
    for q, k in zip(queries, queried):
        sentence = needle_sentence(chosen[k], numbers[k])
        at = text.index(sentence)
        num_at = at + sentence.index(str(numbers[k]))
        q["needle_number_chars"] = [num_at, num_at + 4]
        q["depth"] = round(at / max(1, context_end), 3)

    def to_bytes(i):
        return len(text[:i].encode("utf-8"))

    for q in queries:
        q["answer_bytes"] = [to_bytes(i) for i in q.pop("answer_chars")]
        q["needle_number_bytes"] = [to_bytes(i) for i in q.pop("needle_number_chars")]
    return {"text": text, "context_bytes": [0, to_bytes(context_end)], "n_needles": n_needles,
            "n_queries": n_queries, "queries": queries}
