"""How author and organisation names are compared: the same name however it was typed or encoded."""

import unicodedata

MAX_NAME = 200  # longer than any author or organisation name Hugging Face lists


def name_key(name: str) -> str:
    """The name as matched: NFKD with the combining marks dropped, case folded, whitespace collapsed.

    "Zoë Müller", "ZOE MULLER" and "Zoe\u0308 Mu\u0308ller" (decomposed) are one key, because Hugging Face and arXiv
    drop accents often and a missed accent must not miss a paper; "Mueller" stays another name.
    """
    decomposed = unicodedata.normalize("NFKD", name or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())
