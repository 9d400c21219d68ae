"""What leaves the machine: mail over SMTP with the sent log; publishing to the wiki with its plan and log."""
