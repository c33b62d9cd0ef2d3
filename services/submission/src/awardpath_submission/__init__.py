"""Submission service (intake): the catalog as platforms see it, submissions and attempts,
evidence per rubric section, earner identity (the only service that holds it), status
timeline, feedback shown to the earner, resubmission rules."""
