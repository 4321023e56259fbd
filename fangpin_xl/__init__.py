"""fangpin-xl: Excel tools for Handan-style precise poverty prevention (精准防贫)."""

__version__ = "0.1.0"
