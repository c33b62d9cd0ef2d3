"""Award service (issuer of record): issuers, the micro-credential catalog, the issuer's
decision queue and policy, awards, their signed Open Badges 3.0 credentials (keys,
verification, revocation, the Open Badges 2.0 hosted documents) and webhooks to platforms."""
