"""Every public URL the award service mints, from `AWARDPATH_AWARD_PUBLIC_URL`."""


class Urls:
    def __init__(self, public_url: str) -> None:
        self.base = public_url.rstrip("/")

    def credential(self, credential_id: str) -> str:
        return f"{self.base}/v1/credentials/{credential_id}"

    def status_list(self, status_list_id: str) -> str:
        return f"{self.base}/v1/status-lists/{status_list_id}"

    def achievement(self, micro_credential_id: str, version: int) -> str:
        return f"{self.base}/v1/micro-credentials/{micro_credential_id}?version={version}"

    def ob2_assertion(self, credential_id: str) -> str:
        return f"{self.base}/v1/ob2/assertions/{credential_id}"

    def ob2_badge_class(self, micro_credential_id: str, version: int) -> str:
        return f"{self.base}/v1/ob2/badge-classes/{micro_credential_id}/{version}"

    def badge_image(self, micro_credential_id: str, version: int) -> str:
        return f"{self.ob2_badge_class(micro_credential_id, version)}/image"

    def ob2_issuer(self, issuer_id: str) -> str:
        return f"{self.base}/v1/ob2/issuers/{issuer_id}"
