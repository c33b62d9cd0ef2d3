"""Sign-in links of one workspace replica: each works once, and only with this workspace's
secret."""

from awardpath.workspace.sessions import Person
from awardpath.workspace.settings import WorkspaceSettings
from awardpath.workspace.sign_in import SignInLinks, TakenInThisProcess, sign_in_link
from tests.support.sign_in import token_of

SETTINGS = WorkspaceSettings()


async def test_one_replica_alone_remembers_the_links_it_took():
    links = SignInLinks(SETTINGS, TakenInThisProcess())
    token = token_of(sign_in_link(SETTINGS, "admin", "ops"))
    assert await links.take(token) == Person(role="admin", subject="ops")
    assert await links.take(token) is None


async def test_a_forged_or_foreign_link_signs_nobody_in():
    links = SignInLinks(SETTINGS, TakenInThisProcess())
    other = WorkspaceSettings(workspace_session_secret="another-workspace-secret-of-at-least-32-chars")
    assert await links.take(token_of(sign_in_link(other, "admin", "ops"))) is None
    assert await links.take("not-a-token") is None
