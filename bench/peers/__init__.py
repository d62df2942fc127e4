"""Two peers measured as bench/digests.py measures Paperboy: see __main__.py."""
