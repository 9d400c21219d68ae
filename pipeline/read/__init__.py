"""Files -> model + diagnostics: text decoding, YAML with locations, settings, catalog, schedule, front matter."""
