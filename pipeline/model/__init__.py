"""The types every stage shares: frozen dataclasses, enums, diagnostics. Imports nothing else of the project."""
