"""Path converters: a row id in a URL is a number the database can hold, else the URL matches nothing (404)."""

# PostgreSQL's bigint holds 19 digits; 18 keep every id the database hands out and never overflow a query.
MAX_ID_DIGITS = 18


class RowIdConverter:
    regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


def row_id(text: str) -> int | None:
    """`text` as a row id, or None when it is not one (not digits, or too long for the database)."""
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= MAX_ID_DIGITS else None
