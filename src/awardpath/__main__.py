from awardpath.cli import app

app()
