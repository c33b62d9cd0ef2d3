from awardpath_shared.migrations import run_env
from awardpath_submission.models import Base

run_env(Base.metadata)
