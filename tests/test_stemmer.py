"""The story stage's stems come from the compiled Snowball binding (PyStemmer), which
snowballstemmer picks by itself when it is installed; its stems must equal the pure-Python
algorithm's, or archived fingerprints and fresh ones would disagree."""

from __future__ import annotations

from pathlib import Path

from snowballstemmer.english_stemmer import EnglishStemmer

from monitor.stories import text

DATA = Path(__file__).parent / "data" / "stories"


def _corpus_words() -> list[str]:
    words: set[str] = set()
    for f in sorted(DATA.rglob("*")):
        if f.is_file():
            words.update(text.words(f.read_text(encoding="utf-8", errors="ignore")))
    return sorted(words)


def test_the_compiled_stemmer_is_in_use() -> None:
    # snowballstemmer.stemmer() returns PyStemmer's Stemmer when that package is installed
    assert type(text._STEMMER).__module__ == "Stemmer"


def test_compiled_stems_equal_the_pure_python_algorithm() -> None:
    words = _corpus_words()
    assert len(words) > 2000
    words += ["running", "generously", "immunotherapies", "metastases", "hepatic", "dying"]
    pure = EnglishStemmer()
    differ = [w for w in words if text.stem(w) != pure.stemWord(w)]
    assert differ == []
