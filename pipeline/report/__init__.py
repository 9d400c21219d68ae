"""Diagnostics shown where contributors work: a terminal, a CI log, a pull request, the preview."""
