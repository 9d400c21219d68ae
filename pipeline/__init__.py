"""The Wikimedia Clinics digest pipeline: Markdown digests in, emails and Meta-Wiki pages out."""
