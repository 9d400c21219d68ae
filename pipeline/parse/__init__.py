"""Markdown -> element tree, through Python-Markdown's extension API, within the limits a digest keeps."""
