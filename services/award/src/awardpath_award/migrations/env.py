from awardpath_award.models import Base
from awardpath_shared.migrations import run_env

run_env(Base.metadata)
