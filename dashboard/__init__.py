"""Equity Atlas: where NHS money for general practice goes in England, and who it fails."""

__version__ = "0.1.0"
