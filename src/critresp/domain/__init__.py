"""Pure domain rules. Never imports Textual, SQL or network code."""
