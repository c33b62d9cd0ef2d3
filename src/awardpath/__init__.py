"""The operator's entry point: `awardpath serve|worker|migrate|token`."""
