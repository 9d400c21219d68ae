"""The checks between files (calls, versions, citations, the schedule), in one order for every command."""
