"""The emails: the text and HTML bodies, the .eml of each list, and the announcements of upcoming calls."""
