"""critresp: a keyboard-first console for Trust & Safety Critical Response."""

__version__ = "0.1.0"
