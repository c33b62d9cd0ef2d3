"""The workspaces of the people on the award path (assessors first): server-rendered pages
that are another client of the three services' own APIs, called with the signed-in person's
token, so a page can show only what that person's API answers show (README, Workspaces)."""
