"""The Clinics digest pipeline: read -> parse -> check -> render -> build -> deliver.

Each stage is a folder; every import points toward model/, the types they share.
"""
