"""Kamtibmas: public security and order software for an Indonesian police command."""

__version__ = "0.1.0"
