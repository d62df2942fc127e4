"""One module per source; each turns one response into `PaperRecord`s (see papers/records.py)."""
