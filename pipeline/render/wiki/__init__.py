"""The wikitext: escaping (one function per context), inline tokens, a digest's page, the archive's pages."""
