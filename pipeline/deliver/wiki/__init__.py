"""Publishing to Meta-Wiki: the Action API client, the plan of changes, the publish log, the edits."""
