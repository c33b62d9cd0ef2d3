"""Assessment service (blind review): rubrics, the assessor pool, blind assignment, the
assessor queue with leases, section levels and feedback, and the recommendation. It never
receives or stores earner identity."""
