"""phonghop: a paperless meeting room for party and state offices."""

__version__ = "0.1.0"
