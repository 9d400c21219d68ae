"""Model -> bytes: document.py decides what every output says; email/, wiki/, calendar and JSON write it."""
