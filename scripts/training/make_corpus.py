#!/usr/bin/python3
"""Builds the natural-English corpus for the bundled models from Debian packages (no download).

Sources (install: scripts/training/install-data-deps.sh): fortunes + fortunes-min (quotations and jokes),
dict-gcide (Collaborative International Dictionary of English: definitions and usage), dict-wn (WordNet glosses),
dict-foldoc (Free On-line Dictionary of Computing), dict-jargon (the Jargon File), dict-devil (Bierce's Devil's
Dictionary), debian-reference-en (the Debian Reference's prose paragraphs), and wamerican-large (proper nouns, used
as the entities of the synthetic retrieval episodes).
Writes <out>/corpus_train.txt.gz, <out>/corpus_eval.txt.gz (held-out documents, 3 %), <out>/names_train.txt and
<out>/names_eval.txt (disjoint entity names). Deterministic: the same packages give the same files.
    /usr/bin/python3 scripts/training/make_corpus.py .traincarry
"""
import glob
import gzip
import os
import random
import re
import sys

FORTUNES = "/usr/share/games/fortunes"
GCIDE = "/usr/share/dictd/gcide.dict.dz"
WORDNET = "/usr/share/dictd/wn.dict.dz"
FOLDOC = "/usr/share/dictd/foldoc.dict.dz"
JARGON = "/usr/share/dictd/jargon.dict.dz"
DEVIL = "/usr/share/dictd/devil.dict.dz"
DEBIAN_REFERENCE = "/usr/share/debian-reference/debian-reference.en.txt.gz"
WORDS = "/usr/share/dict/american-english-large"


def clean(text):
    text = re.sub(r"\s+", " ", text).strip()
    return text


def fortunes():
    for path in sorted(glob.glob(os.path.join(FORTUNES, "*"))):
        if path.endswith((".dat", ".u8")) or os.path.islink(path) or os.path.isdir(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for chunk in re.split(r"\n%\n", f.read()):
                # Keep line structure of quotes but drop ASCII art (lines dominated by symbols).
                letters = sum(c.isalpha() for c in chunk)
                if len(chunk) > 40 and letters > 0.6 * len(chunk.replace(" ", "").replace("\n", "")):
                    yield re.sub(r"[ \t]+", " ", chunk.strip())


def dictionary_blocks(path):
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        text = f.read()
    return re.split(r"\n\s*\n", text)


def gcide():
    for block in dictionary_blocks(GCIDE):
        lines = block.strip("\n").split("\n")
        if not lines or lines[0].startswith((" ", "00-")):
            continue
        m = re.match(r"^([A-Z][A-Za-z' -]+?) \\", lines[0])
        body = " ".join(lines)
        body = re.sub(r"^.*?\\[^\\]*\\,?", "", body)          # headword and pronunciation
        body = re.sub(r"\[[^\]]*\]", "", body)                  # etymologies, [1913 Webster], [R.]
        body = re.sub(r"--\s?[A-Z][\w.]*(\s[A-Z][\w.]*)*\.?", "", body)  # citations such as --Bailey.
        body = re.sub(r"[{}]", "", body)
        body = re.sub(r"^\s*(n|a|v\. [ti]|v|adv|prep|conj|interj)\.(\s|;|,)+(pl\.[^.]*\.)?", "", body)
        body = clean(body)
        if m and len(body.split()) >= 6:
            yield f"{m.group(1).strip()}: {body}"


def wordnet():
    # Entries are not blank-line separated: each starts with its headword at column 0, senses are indented.
    with gzip.open(WORDNET, "rt", encoding="utf-8", errors="replace") as f:
        entries = re.split(r"\n(?=\S)", f.read())
    seen = set()  # every word of a synonym set repeats the set's glosses: keep the first
    for block in entries:
        lines = block.strip("\n").split("\n")
        if len(lines) < 2 or lines[0].startswith((" ", "00-")):
            continue
        head = lines[0].strip()
        body = " ".join(lines[1:])
        body = re.sub(r"\[(syn|ant|also)[^\]]*\]", "", body)
        body = re.sub(r"\b(n|v|adj|adv)\s+\d+:\s*", " ", body)
        body = re.sub(r"\s\d+:\s", " ", body)
        body = re.sub(r"[{}]", "", body)
        body = clean(body)
        if len(body.split()) >= 10 and body not in seen:
            seen.add(body)
            yield f"{head}: {body}"


def prose(text):
    """Paragraph `text` with dictionary markup removed, or None when it is not prose (tables, code, lists)."""
    text = re.sub(r"\{([^{}]*)\}", r"\1", text)            # {cross reference} -> cross reference
    text = re.sub(r"\([^()]*https?://[^()]*\)", "", text)   # (URL)
    text = re.sub(r"https?://\S+", "", text)
    text = re.sub(r"\(\d{4}-\d{2}-\d{2}\)", "", text)        # FOLDOC's (2014-11-27) dates
    text = re.sub(r"\[[^\]]*\]", "", text)                    # [Jargon File], [sic]
    text = re.sub(r"<[a-z, ]+>", "", text)                      # FOLDOC's <programming> tags
    text = clean(text)
    words = text.split()
    letters = sum(c.isalpha() or c == " " for c in text)
    if len(words) < 12 or letters < 0.85 * len(text) or "|" in text or "+--" in text:
        return None
    return text


def dict_paragraphs(path):
    """Prose paragraphs of a dictd database (entries are blank-line separated paragraphs; headers start with 00-)."""
    for block in dictionary_blocks(path):
        if block.lstrip().startswith("00-"):
            continue
        text = prose(block)
        if text:
            yield text


def debian_reference():
    with gzip.open(DEBIAN_REFERENCE, "rt", encoding="utf-8", errors="replace") as f:
        paragraphs = re.split(r"\n\s*\n", f.read())
    for paragraph in paragraphs:
        # Shell sessions and listings are indented or start with a prompt; keep the running text only.
        if paragraph.lstrip().startswith(("$", "#", "*")) or paragraph.startswith("        "):
            continue
        text = prose(paragraph)
        if text:
            yield text


def names():
    with open(WORDS, encoding="utf-8") as f:
        words = [w.strip() for w in f]
    return sorted({w for w in words if re.fullmatch(r"[A-Z][a-z]{3,9}", w)})


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else ".traincarry"
    os.makedirs(out, exist_ok=True)
    sources = {"fortunes": list(fortunes()), "gcide": list(gcide()), "wordnet": list(wordnet()),
               "foldoc": list(dict_paragraphs(FOLDOC)), "jargon": list(dict_paragraphs(JARGON)),
               "devil": list(dict_paragraphs(DEVIL)), "debian-reference": list(debian_reference())}
    for name, part in sources.items():
        print(f"{name}: {len(part)} documents, {sum(len(d) for d in part) / 1e6:.1f} MB")
    docs = [d for part in sources.values() for d in part]
    rng = random.Random(20261125)
    rng.shuffle(docs)
    n_eval = len(docs) * 3 // 100
    for name, part in (("corpus_eval.txt.gz", docs[:n_eval]), ("corpus_train.txt.gz", docs[n_eval:])):
        with gzip.open(os.path.join(out, name), "wt", encoding="utf-8") as f:
            for d in part:
                f.write(d.replace("\n", " \\n ") + "\n")   # one document per line; \n marks kept line breaks
        print(f"{name}: {len(part)} documents, {sum(len(d) for d in part) / 1e6:.1f} MB")
    all_names = names()
    random.Random(1125).shuffle(all_names)  # independent of the documents, so adding text keeps the name split
    n_eval = len(all_names) // 10
    for name, part in (("names_eval.txt", all_names[:n_eval]), ("names_train.txt", all_names[n_eval:])):
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write("\n".join(sorted(part)) + "\n")
        print(f"{name}: {len(part)} names")


if __name__ == "__main__":
    main()
